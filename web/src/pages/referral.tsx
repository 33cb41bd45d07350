import { type FormEvent, useEffect, useState } from 'react';
import { api } from '../api.ts';
import { CustomFieldValues } from '../components/custom-fields.tsx';
import { DataState, useLoad } from '../components/data.tsx';
import {
  Badge,
  formatDate,
  Notice,
  PageHeader,
  personName,
  SelectField,
  TableHead,
  TextField,
  useSubmit,
} from '../components/ui.tsx';
import { Link, useTitle } from '../router.tsx';
import { useCanWrite } from '../session.tsx';
import type { ApiKeyView, MemberView, Milestone, ProgramView, ReferralDetail, UserView } from '../types.ts';

export function ReferralPage(props: { id: string }) {
  const loaded = useLoad(async () => {
    const referral = await api.get<ReferralDetail>(`/referrals/${props.id}`);
    const program = await api.get<ProgramView>(`/programs/${referral.programId}`);
    const [users, keys, member] = await Promise.all([
      api.get<{ data: UserView[] }>('/users').catch(() => ({ data: [] })),
      api.get<{ data: ApiKeyView[] }>('/api-keys').catch(() => ({ data: [] })),
      referral.memberId
        ? api.get<MemberView>(`/members/${referral.memberId}`).catch(() => undefined)
        : undefined,
    ]);
    return { referral, program, member, names: actorNames(users.data, keys.data) };
  }, props.id);
  return (
    <DataState loaded={loaded} what="the referral">
      {(data) => <ReferralDetailView {...data} onChanged={loaded.reload} />}
    </DataState>
  );
}

function actorNames(users: UserView[], keys: ApiKeyView[]): Map<string, string> {
  return new Map([
    ...users.map((user): [string, string] => [`user:${user.id}`, user.email]),
    ...keys.map((key): [string, string] => [`api_key:${key.id}`, `API key “${key.name}”`]),
  ]);
}

/** Who moved it, in words: a person by email, an API key by name, the CRM, refsync itself. */
function actorInWords(actor: string, names: Map<string, string>): string {
  const known = names.get(actor);
  if (known) return known;
  const [kind, id] = actor.split(/:(.*)/s);
  if (kind === 'user') return 'a removed user';
  if (kind === 'api_key') return `API key ${id}`;
  if (kind === 'crm') return `the CRM (connection ${id})`;
  if (kind === 'system') return 'refsync';
  return actor;
}

function ReferralDetailView(props: {
  referral: ReferralDetail;
  program: ProgramView;
  member: MemberView | undefined;
  names: Map<string, string>;
  onChanged: () => void;
}) {
  const { referral, program } = props;
  useTitle(personName(referral));
  const labelOf = (code: string | null) =>
    code ? (program.milestones.find((m) => m.code === code)?.label ?? code) : '—';
  const current = program.milestones.find((m) => m.code === referral.milestone);
  return (
    <>
      <PageHeader
        title={personName(referral)}
        subtitle={
          <>
            Referral in <Link href={`/programs/${program.id}`}>{program.name}</Link>, now{' '}
            <Badge kind={referral.milestoneKind}>{labelOf(referral.milestone)}</Badge>
          </>
        }
      />
      <div className="detail-grid">
        <section className="card" aria-labelledby="referral-details">
          <h2 id="referral-details">Details</h2>
          <dl className="details">
            {(
              [
                ['Email', referral.email],
                ['Company', referral.company],
                ['Phone', referral.phone],
                ['Source', referral.source],
                ['Source note', referral.sourceNote],
                ['External ID', referral.externalId],
                ['Added', formatDate(referral.createdAt)],
                ['Updated', formatDate(referral.updatedAt)],
              ] as const
            ).map(([label, value]) => (
              <div key={label}>
                <dt>{label}</dt>
                <dd>{value ?? '—'}</dd>
              </div>
            ))}
            <div>
              <dt>Referred by</dt>
              <dd>
                {referral.memberId ? (
                  <Link href={`/members/${referral.memberId}`}>
                    {props.member
                      ? `${personName(props.member)} (${props.member.referralCode})`
                      : referral.memberId}
                  </Link>
                ) : (
                  '—'
                )}
              </dd>
            </div>
          </dl>
          <h3>Custom fields</h3>
          <CustomFieldValues fields={program.referralFields} values={referral.customFields} />
        </section>
        <section className="card" aria-labelledby="referral-move">
          <h2 id="referral-move">Move the milestone</h2>
          <MoveMilestone
            referral={referral}
            milestones={program.milestones}
            current={current}
            onMoved={props.onChanged}
          />
          <h3>CRM records</h3>
          {referral.crmRecords.length === 0 ? (
            <p className="muted">Not in a CRM yet.</p>
          ) : (
            <ul className="plain-list">
              {referral.crmRecords.map((record) => (
                <li key={`${record.connectionId}:${record.crmId}`}>
                  {record.url ? (
                    <a href={record.url} target="_blank" rel="noreferrer">
                      {record.crmObject} {record.crmId}
                      <span className="visually-hidden"> (opens the CRM in a new tab)</span>
                    </a>
                  ) : (
                    `${record.crmObject} ${record.crmId}`
                  )}
                  {record.dealId ? <span className="muted"> · deal {record.dealId}</span> : null}
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card wide" aria-labelledby="referral-history">
          <h2 id="referral-history">Milestone history</h2>
          <table className="table" data-testid="history">
            <caption className="visually-hidden">Milestone history, oldest first</caption>
            <TableHead columns={['When', 'Change', 'By', 'Reason', 'Feedback to the referrer']} />
            <tbody>
              {referral.history.map((change) => (
                <tr key={change.id}>
                  <td>{formatDate(change.createdAt)}</td>
                  <td>
                    {change.from ? `${labelOf(change.from)} → ` : 'Created at '}
                    {labelOf(change.to)}
                    {change.overrodeDenied ? <span className="muted"> (denial overridden)</span> : null}
                  </td>
                  <td>{actorInWords(change.actor, props.names)}</td>
                  <td>{change.reason ?? '—'}</td>
                  <td>{change.feedback ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </>
  );
}

/** The milestone after `current` in the program's order (else the first other one): the likely next move. */
function nextMilestone(milestones: Milestone[], current: string): string {
  const index = milestones.findIndex((m) => m.code === current);
  const after = milestones.slice(index + 1).find((m) => m.kind !== 'denied');
  return (after ?? milestones.find((m) => m.code !== current))?.code ?? '';
}

/** The rule that refused (or would refuse) a move, in words. */
function ruleInWords(current: Milestone | undefined): string | undefined {
  if (current?.kind === 'approved') {
    return `This referral is at ${current.label}, an approved milestone: rewards were earned on it, so it can no longer move.`;
  }
  if (current?.kind === 'denied') {
    return `This referral is at ${current.label}, a denied milestone: it moves only if you override the denial.`;
  }
  return undefined;
}

function MoveMilestone(props: {
  referral: ReferralDetail;
  milestones: Milestone[];
  current: Milestone | undefined;
  onMoved: () => void;
}) {
  const canWrite = useCanWrite();
  const others = props.milestones.filter((m) => m.code !== props.referral.milestone);
  const [target, setTarget] = useState(() => nextMilestone(props.milestones, props.referral.milestone));
  // After a move, offer the step after the new milestone.
  useEffect(
    () => setTarget(nextMilestone(props.milestones, props.referral.milestone)),
    [props.milestones, props.referral.milestone],
  );
  const [reason, setReason] = useState('');
  const [feedback, setFeedback] = useState('');
  const [override, setOverride] = useState(false);
  const [moved, setMoved] = useState<string | undefined>();
  const submit = useSubmit();
  const rule = ruleInWords(props.current);
  const refused =
    submit.error && ['referral_locked', 'referral_denied', 'forbidden'].includes(submit.error.code);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setMoved(undefined);
    void submit.run(async () => {
      await api.post(`/referrals/${props.referral.id}/milestone`, {
        milestone: target,
        ...(reason ? { reason } : {}),
        ...(feedback ? { feedback } : {}),
        overrideDenied: override,
      });
      setMoved(`Moved to ${props.milestones.find((m) => m.code === target)?.label ?? target}.`);
      setReason('');
      setFeedback('');
      props.onMoved();
    });
  };
  return (
    <form onSubmit={onSubmit} aria-label="Move the milestone">
      {rule ? <p className="rule">{rule}</p> : null}
      {refused && submit.error ? (
        <div className="notice notice-error" role="alert">
          <strong>Refused:</strong>{' '}
          {submit.error.code === 'forbidden' ? submit.error.message : (rule ?? submit.error.message)}
        </div>
      ) : (
        <Notice error={submit.error} success={moved} />
      )}
      <SelectField
        label="New milestone"
        value={target}
        onChange={setTarget}
        options={others.map((m) => ({ value: m.code, label: m.label }))}
      />
      <TextField
        label="Reason (kept in the history)"
        value={reason}
        onChange={setReason}
        error={submit.fieldError('reason')}
      />
      <TextField
        label="Feedback to the referrer"
        value={feedback}
        onChange={setFeedback}
        error={submit.fieldError('feedback')}
      />
      {props.current?.kind === 'denied' ? (
        <label className="checkbox">
          <input type="checkbox" checked={override} onChange={(event) => setOverride(event.target.checked)} />
          Override the denial
        </label>
      ) : null}
      <button type="submit" className="button button-primary" disabled={submit.busy || !target}>
        Move milestone
      </button>
      {!canWrite ? <p className="hint">You are a viewer: the server will refuse changes.</p> : null}
    </form>
  );
}
