import { type FormEvent, useState } from 'react';
import { api, refuseWhen } from '../api.ts';
import { Check } from '../components/crm-pickers.tsx';
import { DataState, useLoad } from '../components/data.tsx';
import { NeedsProgram } from '../components/programs.tsx';
import { Notice, PageHeader, SelectField, useSubmit } from '../components/ui.tsx';
import { forgetCrmMeta } from '../crm-meta.ts';
import { Link, navigate, useLocation, useTitle } from '../router.tsx';
import { useCanWrite } from '../session.tsx';
import type { ConnectionView, ProgramView, ReceiverSettingsView } from '../types.ts';
import { providerNames } from './connections.tsx';
import { DryRunPanel } from './dry-run.tsx';
import { missingChoices, type RuleRow, RuleRows, type TriggerRow, TriggerRows } from './receiver-rules.tsx';

type Rules = ReceiverSettingsView['processRules'];

/** The referral fields a CRM field may update, besides the program's custom fields. */
const referralTargets: Array<[string, string]> = [
  ['firstName', 'First name'],
  ['lastName', 'Last name'],
  ['email', 'Email'],
  ['company', 'Company'],
  ['phone', 'Phone'],
  ['source', 'Source'],
  ['sourceNote', 'Source note'],
  ['externalId', 'External ID'],
];

const ruleWords: Array<{ key: keyof Rules; label: string; hint: string }> = [
  {
    key: 'autoProcessDirect',
    label: 'Process direct matches automatically (recommended)',
    hint: 'The record names the referral: its refsync referral ID or external ID.',
  },
  {
    key: 'autoProcessFuzzy',
    label: 'Process fuzzy matches automatically',
    hint: 'Matched by email, or by name and company. Off: such entries wait for review.',
  },
  {
    key: 'reviewWhenNoMemberMatch',
    label: 'Review entries that match no referral and no member',
    hint: 'Off: they fail, and can be edited and retried.',
  },
  {
    key: 'reviewDeniedToPositive',
    label: 'Review a denied referral that would become qualified or approved',
    hint: 'Only when the CRM may move denied referrals at all (above).',
  },
  {
    key: 'notifyOnReview',
    label: 'Notify when an entry waits for review',
    hint: 'Records a sales_entry.review_needed event.',
  },
];

const defaultRules: Rules = {
  autoProcessDirect: true,
  autoProcessFuzzy: true,
  reviewWhenNoMemberMatch: false,
  reviewDeniedToPositive: false,
  notifyOnReview: false,
};

export function ReceiverSettingsPage(props: { id?: string | undefined }) {
  const { query } = useLocation();
  const connectionId = query.get('connectionId') ?? '';
  const loaded = useLoad(async () => {
    forgetCrmMeta();
    const settings = props.id
      ? await api.get<ReceiverSettingsView>(`/receiver-settings/${props.id}`)
      : undefined;
    const id = settings ? settings.connectionId : connectionId || null;
    const connection = id ? await api.get<ConnectionView>(`/connections/${id}`) : undefined;
    return { settings, connection };
  }, props.id ?? `new:${connectionId}`);
  return (
    <DataState loaded={loaded} what="the receiver settings">
      {(data) => (
        <NeedsProgram what="A sales receiver">
          {(programs) => <ReceiverForm {...data} programs={programs} />}
        </NeedsProgram>
      )}
    </DataState>
  );
}

const rulesOf = <T extends { object: string; field: string }>(list: T[], key: keyof T): RuleRow[] =>
  list.map((item) => ({ object: item.object, field: item.field, to: String(item[key]) }));

function ReceiverForm(props: {
  settings: ReceiverSettingsView | undefined;
  connection: ConnectionView | undefined;
  programs: ProgramView[];
}) {
  const { settings, connection } = props;
  const { query } = useLocation();
  const canWrite = useCanWrite();
  const crm = connection ? (providerNames[connection.provider] ?? connection.provider) : 'the API';
  useTitle(settings ? `Sales receiver · ${connection?.name ?? 'API'}` : 'New sales receiver');
  const [programId, setProgramId] = useState(
    settings?.programId ?? query.get('programId') ?? props.programs[0]?.id ?? '',
  );
  const [enabled, setEnabled] = useState(settings?.enabled ?? true);
  const [triggers, setTriggers] = useState<TriggerRow[]>(settings?.statusTriggers ?? []);
  const [overrideDenied, setOverrideDenied] = useState(settings?.allowOverrideDenied ?? false);
  const [updates, setUpdates] = useState<RuleRow[]>(rulesOf(settings?.fieldUpdates ?? [], 'target'));
  const [contactDetails, setContactDetails] = useState(settings?.updateContactDetails ?? false);
  const [targetMatch, setTargetMatch] = useState<RuleRow[]>(rulesOf(settings?.targetMatch ?? [], 'matchOn'));
  const [fuzzy, setFuzzy] = useState(settings?.fuzzyMatch ?? true);
  const [contactMatching, setContactMatching] = useState(settings?.contactMatching ?? 'triggered_only');
  const [memberMatch, setMemberMatch] = useState<RuleRow[]>(rulesOf(settings?.memberMatch ?? [], 'matchOn'));
  const [rules, setRules] = useState<Rules>(settings?.processRules ?? defaultRules);
  const [saved, setSaved] = useState<string | undefined>(
    query.get('created') ? 'Receiver settings created.' : undefined,
  );
  const submit = useSubmit();
  const program = props.programs.find((one) => one.id === programId);
  const connectionId = connection?.id ?? null;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(undefined);
    void submit.run(async () => {
      refuseWhen([
        ...missingChoices(
          'statusTriggers',
          triggers.map((trigger) => ({ ...trigger, to: trigger.milestone })),
          'milestone',
          'the milestone',
        ),
        ...missingChoices('fieldUpdates', updates, 'target', 'the referral field'),
        ...missingChoices('targetMatch', targetMatch, 'matchOn', 'what it holds'),
        ...missingChoices('memberMatch', memberMatch, 'matchOn', 'what it holds'),
      ]);
      const body = {
        enabled,
        statusTriggers: triggers,
        allowOverrideDenied: overrideDenied,
        fieldUpdates: updates.map((row) => ({ object: row.object, field: row.field, target: row.to })),
        updateContactDetails: contactDetails,
        targetMatch: targetMatch.map((row) => ({ object: row.object, field: row.field, matchOn: row.to })),
        fuzzyMatch: fuzzy,
        contactMatching,
        memberMatch: memberMatch.map((row) => ({ object: row.object, field: row.field, matchOn: row.to })),
        processRules: rules,
      };
      if (settings) {
        await api.patch(`/receiver-settings/${settings.id}`, body);
        setSaved('Receiver settings saved. Retry entries on Sales entries to apply them to earlier events.');
      } else {
        const created = await api.post<ReceiverSettingsView>('/receiver-settings', {
          ...body,
          programId,
          connectionId,
        });
        navigate(`/receiver-settings/${created.id}?created=1`, { replace: true });
      }
    });
  };

  const saveButton = canWrite ? (
    <button type="submit" className="button button-primary" disabled={submit.busy}>
      {settings ? 'Save receiver settings' : 'Create receiver settings'}
    </button>
  ) : null;
  return (
    <>
      <form onSubmit={onSubmit} aria-label="Receiver settings">
        <PageHeader
          title={`Sales receiver: ${connection?.name ?? 'API entries'}`}
          subtitle={
            <>
              How events from {connection ? <Link href={`/connections/${connection.id}`}>{crm}</Link> : crm}{' '}
              move the referrals of {program?.name ?? 'a program'}.
            </>
          }
          actions={saveButton}
        />
        <Notice error={submit.error} success={saved} />
        <fieldset className="card" disabled={!canWrite}>
          <legend>Program</legend>
          {settings ? (
            <p>
              <Link href={`/programs/${settings.programId}`}>{program?.name ?? settings.programId}</Link>
            </p>
          ) : (
            <SelectField
              label="Program"
              value={programId}
              onChange={setProgramId}
              options={props.programs.map((one) => ({ value: one.id, label: one.name }))}
              error={submit.fieldError('programId')}
            />
          )}
          <Check
            label="Receive events (off: entries are kept but not processed)"
            checked={enabled}
            onChange={setEnabled}
          />
        </fieldset>
        <fieldset className="card" disabled={!canWrite}>
          <legend>Status triggers</legend>
          <p className="hint">
            When a record's field takes the value, the matched referral moves to the milestone. The first
            trigger that matches wins: drag a row, or use the arrow buttons, to order them.
          </p>
          <TriggerRows
            connectionId={connectionId}
            rows={triggers}
            onChange={setTriggers}
            milestones={program?.milestones ?? []}
            fieldError={submit.fieldError}
          />
          <Check
            label="Let the CRM move denied referrals"
            checked={overrideDenied}
            onChange={setOverrideDenied}
            hint="Off: a denied referral stays denied whatever the CRM says."
          />
        </fieldset>
        <fieldset className="card" disabled={!canWrite}>
          <legend>Field updates</legend>
          <p className="hint">CRM fields copied into the referral when an entry is applied.</p>
          <RuleRows
            connectionId={connectionId}
            name="fieldUpdates"
            what="Field update"
            rows={updates}
            onChange={setUpdates}
            toKey="target"
            toLabel="Updates"
            toOptions={[
              ...referralTargets.map(([key, label]) => ({
                value: `referral.${key}`,
                label: `Referral ${label.toLowerCase()}`,
              })),
              ...(program?.referralFields ?? []).map((field) => ({
                value: `referral.custom.${field.key}`,
                label: `${field.label || field.key} (custom)`,
              })),
            ]}
            fieldError={submit.fieldError}
          />
          <Check
            label="Update the referral's name, email, phone and company from the CRM"
            checked={contactDetails}
            onChange={setContactDetails}
          />
        </fieldset>
        <fieldset className="card" disabled={!canWrite}>
          <legend>Finding the referral</legend>
          <h3>Target match</h3>
          <p className="hint">CRM fields that name the referral directly (recommended).</p>
          <RuleRows
            connectionId={connectionId}
            name="targetMatch"
            what="Target match"
            rows={targetMatch}
            onChange={setTargetMatch}
            toKey="matchOn"
            toLabel="Holds"
            toOptions={[
              { value: 'referralId', label: 'The refsync referral ID' },
              { value: 'externalId', label: "The referral's external ID" },
            ]}
            fieldError={submit.fieldError}
          />
          <Check
            label="Fuzzy match"
            checked={fuzzy}
            onChange={setFuzzy}
            hint="When no field names the referral: the same email, then the same name and company."
          />
          <SelectField
            label="Contact matching and updating"
            value={contactMatching}
            onChange={(value) => setContactMatching(value as ReceiverSettingsView['contactMatching'])}
            options={[
              { value: 'triggered_only', label: 'Only the triggered record and its own contact' },
              { value: 'include_account_contacts', label: "Also the contacts of the record's account" },
            ]}
            error={submit.fieldError('contactMatching')}
          />
          <h3>Member match</h3>
          <p className="hint">
            When no referral matches: CRM fields that name the member who referred, so a new referral is added
            for them.
          </p>
          <RuleRows
            connectionId={connectionId}
            name="memberMatch"
            what="Member match"
            rows={memberMatch}
            onChange={setMemberMatch}
            toKey="matchOn"
            toLabel="Holds the member's"
            toOptions={[
              { value: 'referralCode', label: 'Referral code' },
              { value: 'memberEmail', label: 'Email' },
              { value: 'memberExternalId', label: 'External ID' },
              { value: 'memberId', label: 'refsync member ID' },
            ]}
            fieldError={submit.fieldError}
          />
        </fieldset>
        <fieldset className="card" disabled={!canWrite}>
          <legend>Process rules</legend>
          {ruleWords.map((rule) => (
            <Check
              key={rule.key}
              label={rule.label}
              hint={rule.hint}
              checked={rules[rule.key]}
              onChange={(checked) => setRules({ ...rules, [rule.key]: checked })}
            />
          ))}
        </fieldset>
        {canWrite ? (
          <div className="form-footer">
            <Notice error={submit.error} success={saved} />
            {saveButton}
          </div>
        ) : null}
      </form>
      {settings ? (
        <DryRunPanel settings={settings} connection={connection} />
      ) : (
        <p className="muted card">
          Create the settings first; then try them here on a CRM record without writing anything.
        </p>
      )}
    </>
  );
}
