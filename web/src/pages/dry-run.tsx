import { useState } from 'react';
import { api } from '../api.ts';
import { FoundList, ObjectPicker } from '../components/crm-pickers.tsx';
import { EntryStatus } from '../components/outcomes.tsx';
import { Field, TextField, useSubmit } from '../components/ui.tsx';
import { type CrmRecordView, searchRecords } from '../crm-meta.ts';
import { Link } from '../router.tsx';
import type { ConnectionView, DryRunResult, ReceiverSettingsView } from '../types.ts';
import { processRuleWords } from './dry-run-words.ts';
import { matchMethodWords } from './sales-entry-words.ts';

function parseValues(text: string): Record<string, unknown> | string {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
    return 'Give a JSON object: {"Status": "Closed Won"}';
  } catch (error) {
    return `Not JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Try the saved settings on a CRM record (found by email or ID) or a pasted payload; nothing is written. */
export function DryRunPanel(props: {
  settings: ReceiverSettingsView;
  connection: ConnectionView | undefined;
}) {
  const connectionId = props.connection?.id ?? null;
  const [mode, setMode] = useState<'record' | 'payload'>(connectionId ? 'record' : 'payload');
  const [object, setObject] = useState(props.settings.statusTriggers[0]?.object ?? '');
  const [q, setQ] = useState('');
  const [found, setFound] = useState<CrmRecordView[] | undefined>();
  const [recordId, setRecordId] = useState('');
  const [values, setValues] = useState('');
  const [valuesProblem, setValuesProblem] = useState<string | undefined>();
  const [result, setResult] = useState<DryRunResult | undefined>();
  const search = useSubmit();
  const run = useSubmit();
  const trigger = props.settings.statusTriggers.find((one) => one.object === object);
  const example = JSON.stringify(trigger ? { [trigger.field]: trigger.value } : { Status: 'Closed Won' });

  const onRun = () => {
    const fields = parseValues(values);
    setValuesProblem(typeof fields === 'string' ? fields : undefined);
    if (typeof fields === 'string') return;
    setResult(undefined);
    void run.run(async () => {
      setResult(
        await api.post<DryRunResult>(`/receiver-settings/${props.settings.id}/dry-run`, {
          objectType: object,
          ...(mode === 'record' && recordId ? { recordId } : {}),
          ...(Object.keys(fields).length > 0 ? { fields } : {}),
        }),
      );
    });
  };

  return (
    <section className="card" aria-labelledby="dry-run-title">
      <h2 id="dry-run-title">Dry run</h2>
      <p className="hint">
        What the saved settings would do with a record, before an event arrives. The CRM is only read: no
        entry is saved, no referral moves.
      </p>
      {connectionId ? (
        <fieldset className="choice-row">
          <legend>Try it on</legend>
          <label className="checkbox">
            <input
              type="radio"
              name="dry-run-mode"
              checked={mode === 'record'}
              onChange={() => setMode('record')}
            />
            A record in the CRM
          </label>
          <label className="checkbox">
            <input
              type="radio"
              name="dry-run-mode"
              checked={mode === 'payload'}
              onChange={() => setMode('payload')}
            />
            A pasted payload
          </label>
        </fieldset>
      ) : null}
      <ObjectPicker
        label="Object"
        kind="triggerable"
        connectionId={connectionId}
        value={object}
        onChange={(value) => {
          setObject(value);
          setFound(undefined);
          setRecordId('');
        }}
        error={run.fieldError('objectType')}
      />
      {mode === 'record' && connectionId ? (
        <>
          <div className="inline-form">
            <TextField label="Find a record by email or ID" value={q} onChange={setQ} />
            <button
              type="button"
              className="button"
              disabled={search.busy || !object || !q.trim()}
              onClick={() =>
                void search.run(async () => setFound(await searchRecords(connectionId, object, q.trim())))
              }
            >
              Search the CRM
            </button>
          </div>
          {search.error ? (
            <p className="field-error" role="alert">
              {search.error.message}
            </p>
          ) : null}
          <FoundList
            found={found}
            legend="Records found"
            none={`No ${object} matches “${q}”.`}
            name="dry-run-record"
            idOf={(record) => record.id}
            selected={recordId}
            onSelect={setRecordId}
          >
            {(record) => (
              <>
                {record.label} {record.email ? `· ${record.email} ` : ''}
                <code>{record.id}</code>
              </>
            )}
          </FoundList>
          <TextField
            label="Record ID"
            value={recordId}
            onChange={setRecordId}
            error={run.fieldError('recordId')}
          />
        </>
      ) : null}
      <Field
        label={mode === 'record' ? 'Values to pretend (optional)' : 'Payload'}
        hint={
          mode === 'record'
            ? `Field values by API name that win over the record’s, as an event would carry them: ${example}.`
            : 'The fields of an event by API name, as JSON: {"Email": "ada@example.com", "Status": "Closed Won"}.'
        }
        error={
          valuesProblem ??
          run.fieldError('fields') ??
          (mode === 'payload' ? run.fieldError('recordId') : undefined)
        }
      >
        {({ id, describedBy, invalid }) => (
          <textarea
            id={id}
            rows={4}
            className="code-input"
            value={values}
            aria-describedby={describedBy}
            aria-invalid={invalid || undefined}
            onChange={(event) => setValues(event.target.value)}
          />
        )}
      </Field>
      <div className="button-row">
        <button
          type="button"
          className="button button-primary"
          disabled={run.busy || !object}
          onClick={onRun}
        >
          Run the dry run
        </button>
      </div>
      {run.error && !run.error.fields.length ? (
        <div className="notice notice-error" role="alert">
          {run.error.message}
        </div>
      ) : null}
      {result ? <DryRunAnswer result={result} /> : null}
    </section>
  );
}

function Values(props: { values: Record<string, unknown> }) {
  const entries = Object.entries(props.values);
  if (entries.length === 0) return <p className="muted">No values.</p>;
  return (
    <dl className="details details-compact">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>{value === null ? '—' : typeof value === 'object' ? JSON.stringify(value) : String(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

function DryRunAnswer(props: { result: DryRunResult }) {
  const { result } = props;
  const { trigger, match } = result;
  return (
    <div className="dry-run-answer" data-testid="dry-run-result">
      <p className="notice notice-success" role="status">
        Dry run done: nothing was written. No entry was saved and no referral moved.
      </p>
      <dl className="details">
        <div>
          <dt>Would end</dt>
          <dd>
            <EntryStatus status={result.outcome} />
            {result.reason ? ` ${result.reason}` : ''}
          </dd>
        </div>
        <div>
          <dt>Trigger</dt>
          <dd>
            {trigger
              ? `${trigger.object}.${trigger.field} is “${trigger.value}”, which moves a referral to ${trigger.milestone}.`
              : 'No status trigger fires for these values.'}
          </dd>
        </div>
        <div>
          <dt>Match</dt>
          <dd>
            {match.method ? (
              <>
                {match.referralId ? (
                  <Link href={`/referrals/${match.referralId}`}>the referral</Link>
                ) : match.memberId ? (
                  <Link href={`/members/${match.memberId}`}>the member</Link>
                ) : (
                  'a record'
                )}{' '}
                by {matchMethodWords[match.method] ?? match.method} ({match.method}, score{' '}
                {match.score ?? '—'})
              </>
            ) : (
              'No referral or member matched.'
            )}
          </dd>
        </div>
        <div>
          <dt>Milestone</dt>
          <dd>
            {result.milestone
              ? `${result.milestone.from ?? '(new referral)'} → ${result.milestone.to}`
              : 'No milestone change.'}
            {result.newReferral ? ' A new referral would be added for the member.' : ''}
          </dd>
        </div>
        <div>
          <dt>Field changes</dt>
          <dd>
            {Object.keys(result.fieldChanges).length === 0 ? (
              'None.'
            ) : (
              <Values values={result.fieldChanges} />
            )}
          </dd>
        </div>
        <div>
          <dt>Process rule</dt>
          <dd>{processRuleWords(result)}</dd>
        </div>
      </dl>
      <h3>Records read</h3>
      <h4>
        {result.records.object} {result.records.recordId ?? '(pasted)'}
      </h4>
      <Values values={result.records.values} />
      {Object.entries(result.records.related).map(([object, values]) => (
        <div key={object}>
          <h4>Related {object}</h4>
          {values ? <Values values={values} /> : <p className="muted">None, or more than one: not used.</p>}
        </div>
      ))}
    </div>
  );
}
