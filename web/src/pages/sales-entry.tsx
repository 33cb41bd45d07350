import { type FormEvent, useEffect, useState } from 'react';
import { api } from '../api.ts';
import { DataState, useLoad } from '../components/data.tsx';
import { EntryStatus, sourceLabels } from '../components/outcomes.tsx';
import { entriesChanged } from '../components/review-badge.tsx';
import { formatDate, Notice, PageHeader, TextField, useSubmit } from '../components/ui.tsx';
import { Link, useTitle } from '../router.tsx';
import { useCanWrite } from '../session.tsx';
import type { SalesEntryDetail } from '../types.ts';
import { entryInWords } from './sales-entry-words.ts';

/** The heading over an entry's explanation, per outcome. */
const whyHeadings: Record<string, string> = {
  received: 'Where it stands',
  success: 'Why it succeeded',
  ignored: 'Why it was ignored',
  review: 'Why it waits for review',
  failed: 'Why it failed',
};

export function SalesEntryPage(props: { id: string }) {
  const loaded = useLoad(() => api.get<SalesEntryDetail>(`/sales-entries/${props.id}`), props.id);
  const status = loaded.state === 'ready' ? loaded.data.status : undefined;
  useEffect(() => {
    if (status) entriesChanged();
  }, [status]);
  // While it is processed (after a retry), look again every second.
  const processing = loaded.state === 'ready' && loaded.data.status === 'received';
  useEffect(() => {
    if (!processing) return;
    const timer = window.setInterval(loaded.reload, 1000);
    return () => window.clearInterval(timer);
  }, [processing, loaded.reload]);
  return (
    <DataState loaded={loaded} what="the sales entry">
      {(entry) => <EntryView entry={entry} onChanged={loaded.reload} />}
    </DataState>
  );
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function FieldTable(props: { caption: string; values: Record<string, unknown> }) {
  const entries = Object.entries(props.values);
  if (entries.length === 0) return <p className="muted">No fields.</p>;
  return (
    <table className="table table-compact">
      <caption className="visually-hidden">{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([name, value]) => (
          <tr key={name}>
            <th scope="row">
              <code>{name}</code>
            </th>
            <td>{text(value) || '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function EntryView(props: { entry: SalesEntryDetail; onChanged: () => void }) {
  const { entry } = props;
  const canWrite = useCanWrite();
  const title = `${entry.objectType ?? 'Entry'} ${entry.recordId ?? entry.id}`;
  useTitle(`Sales entry ${title}`);
  const words = entryInWords(entry);
  const related = Object.entries(entry.related ?? {});
  return (
    <>
      <PageHeader
        title={title}
        subtitle={
          <>
            <EntryStatus status={entry.status} /> {sourceLabels[entry.source] ?? entry.source}, received{' '}
            {formatDate(entry.receivedAt)}
            {entry.attempts > 1 ? `, processed ${entry.attempts} times` : ''}
          </>
        }
        actions={
          <Link className="button" href="/sales-entries">
            All sales entries
          </Link>
        }
      />
      <div className="detail-grid">
        <section className="card" aria-labelledby="entry-why">
          <h2 id="entry-why">{whyHeadings[entry.status] ?? `Why it ended ${entry.status}`}</h2>
          <ol className="steps" data-testid="entry-explanation">
            {words.steps.map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ol>
          <dl className="details">
            <div>
              <dt>Referral</dt>
              <dd>
                {entry.referralId ? (
                  <Link href={`/referrals/${entry.referralId}`}>Open the referral</Link>
                ) : (
                  '—'
                )}
              </dd>
            </div>
            <div>
              <dt>Member</dt>
              <dd>
                {entry.memberId ? <Link href={`/members/${entry.memberId}`}>Open the member</Link> : '—'}
              </dd>
            </div>
            <div>
              <dt>Match</dt>
              <dd>
                {entry.matchMethod
                  ? `${entry.matchMethod}${entry.matchScore === null ? '' : `, score ${entry.matchScore}`}`
                  : '—'}
              </dd>
            </div>
            <div>
              <dt>Occurred</dt>
              <dd>{formatDate(entry.occurredAt)}</dd>
            </div>
            <div>
              <dt>Processed</dt>
              <dd>{formatDate(entry.processedAt)}</dd>
            </div>
          </dl>
          {canWrite && entry.status === 'review' ? (
            <ReviewForm entry={entry} onChanged={props.onChanged} />
          ) : null}
        </section>
        <section className="card" aria-labelledby="entry-fields">
          <h2 id="entry-fields">Fields</h2>
          {canWrite && entry.status !== 'received' ? (
            <EditFields entry={entry} onChanged={props.onChanged} />
          ) : (
            <FieldTable caption="Fields the entry is processed with" values={entry.fields} />
          )}
        </section>
      </div>
      <section className="card card-spaced" aria-labelledby="entry-related">
        <h2 id="entry-related">Related records</h2>
        {related.length === 0 ? (
          <p className="muted">No related records were read for this entry.</p>
        ) : (
          related.map(([name, values]) => (
            <div key={name}>
              <h3>{name}</h3>
              {values ? (
                <FieldTable caption={`${name} fields`} values={values} />
              ) : (
                <p className="muted">Not found in the CRM.</p>
              )}
            </div>
          ))
        )}
      </section>
      <section className="card card-spaced" aria-labelledby="entry-raw">
        <h2 id="entry-raw">Raw payload</h2>
        <p className="hint">Exactly what arrived, byte for byte.</p>
        <pre className="raw-payload">{entry.rawPayload}</pre>
      </section>
    </>
  );
}

/** Edits the fields the entry is processed with, then processes it again. */
function EditFields(props: { entry: SalesEntryDetail; onChanged: () => void }) {
  const submit = useSubmit();
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(props.entry.fields).map(([name, value]) => [name, text(value)])),
  );
  const [added, setAdded] = useState('');
  const [done, setDone] = useState<string | undefined>();
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setDone(undefined);
    void submit.run(async () => {
      const fields = Object.fromEntries(
        Object.entries(values).map(([name, value]) => {
          const before = props.entry.fields[name];
          // Values that were not text (numbers, lists) keep their type when left as they were.
          return [name, before !== undefined && text(before) === value ? before : value];
        }),
      );
      await api.patch(`/sales-entries/${props.entry.id}`, { fields });
      await api.post(`/sales-entries/${props.entry.id}/retry`);
      setDone('Saved and queued: processing again…');
      props.onChanged();
    });
  };
  return (
    <form className="form" onSubmit={onSubmit} aria-label="Edit fields and retry">
      {Object.entries(values).map(([name, value]) => (
        <TextField
          key={name}
          label={<code>{name}</code>}
          value={value}
          error={submit.fieldError(`fields.${name}`)}
          onChange={(next) => setValues({ ...values, [name]: next })}
        />
      ))}
      <div className="inline-form">
        <TextField label="Add a field (API name)" value={added} onChange={setAdded} />
        <button
          type="button"
          className="button"
          disabled={!added.trim() || added.trim() in values}
          onClick={() => {
            setValues({ ...values, [added.trim()]: '' });
            setAdded('');
          }}
        >
          Add field
        </button>
      </div>
      <p className="hint">
        What arrived stays in the raw payload; refsync processes the entry with these values.
      </p>
      <div className="button-row">
        <button type="submit" className="button button-primary" disabled={submit.busy}>
          Save and retry
        </button>
        <button
          type="button"
          className="button"
          disabled={submit.busy}
          onClick={() =>
            submit.run(async () => {
              await api.post(`/sales-entries/${props.entry.id}/retry`);
              setDone('Queued: processing again…');
              props.onChanged();
            })
          }
        >
          Retry as it is
        </button>
      </div>
      <Notice error={submit.error} success={done} />
    </form>
  );
}

function ReviewForm(props: { entry: SalesEntryDetail; onChanged: () => void }) {
  const submit = useSubmit();
  const [note, setNote] = useState('');
  const decide = (decision: 'approve' | 'reject') =>
    submit.run(async () => {
      await api.post(`/sales-entries/${props.entry.id}/review`, {
        decision,
        ...(note.trim() ? { note } : {}),
      });
      props.onChanged();
    });
  return (
    <form className="form review-form" aria-label="Review" onSubmit={(event) => event.preventDefault()}>
      <h3>Review</h3>
      <TextField label="Note (optional)" value={note} onChange={setNote} hint="Kept in the entry's reason." />
      <div className="button-row">
        <button
          type="button"
          className="button button-primary"
          disabled={submit.busy}
          onClick={() => decide('approve')}
        >
          Approve
        </button>
        <button
          type="button"
          className="button button-danger"
          disabled={submit.busy}
          onClick={() => decide('reject')}
        >
          Reject
        </button>
      </div>
      <Notice error={submit.error} />
    </form>
  );
}
