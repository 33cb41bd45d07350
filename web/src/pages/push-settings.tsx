import { type FormEvent, useState } from 'react';
import { ApiError, api, refuseWhen } from '../api.ts';
import { CampaignPicker } from '../components/campaign-picker.tsx';
import { FieldPicker, ObjectPicker } from '../components/crm-pickers.tsx';
import { DataState, useLoad } from '../components/data.tsx';
import { NeedsProgram } from '../components/programs.tsx';
import { Notice, PageHeader, SelectField, TextField, useSubmit } from '../components/ui.tsx';
import { forgetCrmMeta, useCrmFields } from '../crm-meta.ts';
import { Link, navigate, useLocation, useTitle } from '../router.tsx';
import { useCanWrite } from '../session.tsx';
import type { ConnectionView, ProgramView, PushSettingsView } from '../types.ts';
import { providerNames } from './connections.tsx';
import { type MappingRow, toApi, toRows } from './mapping-values.ts';
import { MappingRows } from './push-mappings.tsx';

type Subject = 'referral' | 'member';

const policies: Array<{ value: PushSettingsView['existingPolicy']; label: string }> = [
  { value: 'do_nothing', label: 'Leave the CRM record as it is (logged as skipped)' },
  { value: 'fill_blank', label: "Fill the record's blank fields" },
  { value: 'overwrite', label: "Overwrite the record's mapped fields" },
  { value: 'deny', label: 'Deny the referral: the person was already in the CRM' },
  { value: 'create_duplicate', label: 'Create another record anyway' },
];

/** Where refsync writes the values it always writes, per setting key. */
const systemKeys: Array<{ key: string; label: string; subjects: Subject[] }> = [
  { key: 'referralId', label: 'Referral ID', subjects: ['referral'] },
  { key: 'source', label: 'Source', subjects: ['referral'] },
  { key: 'sourceNote', label: 'Source note', subjects: ['referral'] },
  { key: 'referralUrl', label: 'Link to the referral', subjects: ['referral'] },
  { key: 'memberUrl', label: 'Link to the member', subjects: ['referral', 'member'] },
];

/** The form's own words for the fields the API may name in an error. */
const FIELD_LABELS: Record<string, string> = {
  programId: 'Program',
  subject: 'Push',
  crmObject: 'CRM object',
  crmField: 'CRM field',
  from: 'Comes from',
  value: 'Value',
  systemFields: 'System fields',
  existingPolicy: 'Existing record',
  denyGraceMinutes: 'Deny grace (minutes)',
  campaignId: 'Campaign',
};

export function PushSettingsPage(props: { id?: string | undefined }) {
  const { query } = useLocation();
  const connectionId = query.get('connectionId') ?? '';
  const loaded = useLoad(async () => {
    forgetCrmMeta();
    const settings = props.id ? await api.get<PushSettingsView>(`/push-settings/${props.id}`) : undefined;
    if (!settings && !connectionId) {
      throw new ApiError(
        400,
        'no_connection',
        "Open “Add push settings” from a connection's page.",
        undefined,
      );
    }
    const connection = await api.get<ConnectionView>(
      `/connections/${settings?.connectionId ?? connectionId}`,
    );
    return { settings, connection };
  }, props.id ?? `new:${connectionId}`);
  return (
    <DataState loaded={loaded} what="the push settings">
      {(data) => (
        <NeedsProgram what="Push settings">
          {(programs) => <PushSettingsForm {...data} programs={programs} />}
        </NeedsProgram>
      )}
    </DataState>
  );
}

function PushSettingsForm(props: {
  settings: PushSettingsView | undefined;
  connection: ConnectionView;
  programs: ProgramView[];
}) {
  const { settings, connection } = props;
  const { query } = useLocation();
  const canWrite = useCanWrite();
  const crm = providerNames[connection.provider] ?? connection.provider;
  useTitle(settings ? `Push settings · ${connection.name}` : `New push settings · ${connection.name}`);
  const [programId, setProgramId] = useState(
    settings?.programId ?? query.get('programId') ?? props.programs[0]?.id ?? '',
  );
  const [subject, setSubject] = useState<Subject>(
    settings?.subject ?? (query.get('subject') === 'member' ? 'member' : 'referral'),
  );
  const [enabled, setEnabled] = useState(settings?.enabled ?? true);
  const [crmObject, setCrmObject] = useState(settings?.crmObject ?? '');
  const [rows, setRows] = useState<MappingRow[]>(toRows(settings?.mappings ?? []));
  const [systemFields, setSystemFields] = useState<Record<string, string>>(settings?.systemFields ?? {});
  const [policy, setPolicy] = useState(settings?.existingPolicy ?? 'do_nothing');
  const [grace, setGrace] = useState(String(settings?.denyGraceMinutes ?? 60));
  const [campaignId, setCampaignId] = useState<string | null>(settings?.campaignId ?? null);
  const [saved, setSaved] = useState<string | undefined>(
    query.get('created') ? 'Push settings created.' : undefined,
  );
  const submit = useSubmit();
  const fields = useCrmFields(connection.id, crmObject || undefined);
  const program = props.programs.find((one) => one.id === programId);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(undefined);
    void submit.run(async () => {
      refuseWhen([
        ...(crmObject ? [] : [{ field: 'crmObject', message: 'choose the CRM object' }]),
        ...rows.flatMap((row, index) => [
          ...(row.crmField ? [] : [{ field: `mappings.${index}.crmField`, message: 'choose the CRM field' }]),
          ...(row.mode === 'source' && !row.from
            ? [{ field: `mappings.${index}.from`, message: 'choose where the value comes from' }]
            : []),
          ...(row.mode === 'fixed' && row.value === ''
            ? [{ field: `mappings.${index}.value`, message: 'give the fixed value' }]
            : []),
        ]),
      ]);
      const body = {
        enabled,
        crmObject,
        mappings: toApi(rows, fields.state === 'ready' ? fields.data : []),
        existingPolicy: policy,
        denyGraceMinutes: Number(grace),
        ...(connection.provider === 'salesforce' ? { campaignId } : {}),
      };
      if (settings) {
        await api.patch(`/push-settings/${settings.id}`, { ...body, systemFields });
        setSaved('Push settings saved: the CRM accepted every field.');
      } else {
        const created = await api.post<PushSettingsView>('/push-settings', {
          ...body,
          programId,
          connectionId: connection.id,
          subject,
        });
        navigate(`/push-settings/${created.id}?created=1`, { replace: true });
      }
    });
  };
  const mappingsProblem = submit.error?.fields.find((problem) => problem.field === 'mappings')?.message;

  return (
    <form onSubmit={onSubmit} aria-label="Push settings">
      <PageHeader
        title={settings ? `Push to ${crm}: ${settings.crmObject}` : `Push to ${crm}`}
        subtitle={
          <>
            New {subject === 'member' ? 'members' : 'referrals'} of {program?.name ?? 'a program'} are written
            into <Link href={`/connections/${connection.id}`}>{connection.name}</Link>.
          </>
        }
        actions={
          canWrite ? (
            <button type="submit" className="button button-primary" disabled={submit.busy}>
              {settings ? 'Save push settings' : 'Create push settings'}
            </button>
          ) : null
        }
      />
      <Notice error={submit.error} success={saved} labels={FIELD_LABELS} />
      <fieldset className="card" disabled={!canWrite}>
        <legend>What is pushed, and where</legend>
        {settings ? (
          <p>
            Program{' '}
            <Link href={`/programs/${settings.programId}`}>{program?.name ?? settings.programId}</Link>,{' '}
            {settings.subject === 'member' ? 'members' : 'referrals'}.
          </p>
        ) : (
          <div className="row-fields">
            <SelectField
              label="Program"
              value={programId}
              onChange={setProgramId}
              options={props.programs.map((one) => ({ value: one.id, label: one.name }))}
              error={submit.fieldError('programId')}
            />
            <SelectField
              label="Push"
              value={subject}
              onChange={(value) => setSubject(value === 'member' ? 'member' : 'referral')}
              options={[
                { value: 'referral', label: 'Referrals' },
                { value: 'member', label: 'Members' },
              ]}
              error={submit.fieldError('subject')}
            />
          </div>
        )}
        <ObjectPicker
          label="CRM object"
          kind="pushable"
          connectionId={connection.id}
          value={crmObject}
          onChange={setCrmObject}
          error={submit.fieldError('crmObject')}
          hint={`The ${crm} object each new ${subject} becomes.`}
        />
        <label className="checkbox">
          <input type="checkbox" checked={enabled} onChange={(event) => setEnabled(event.target.checked)} />
          Push new {subject === 'member' ? 'members' : 'referrals'} (turned off, nothing is written)
        </label>
      </fieldset>
      <fieldset className="card" disabled={!canWrite}>
        <legend>Field mappings</legend>
        <p className="hint">
          Pick the {crm} field, then where its value comes from: a{' '}
          {subject === 'member' ? '' : 'referral or '}
          member field, one of the program's custom fields, or a fixed value. Required fields are marked; each
          must be mapped unless refsync writes it already (name, email, company).
        </p>
        {mappingsProblem ? (
          <p className="field-error" role="alert">
            {mappingsProblem}
          </p>
        ) : null}
        {crmObject ? (
          <MappingRows
            rows={rows}
            onChange={setRows}
            fields={fields}
            subject={subject}
            referralFields={program?.referralFields ?? []}
            memberFields={program?.memberFields ?? []}
            fieldError={submit.fieldError}
          />
        ) : (
          <p className="muted">Choose the CRM object first.</p>
        )}
      </fieldset>
      {settings && crmObject ? (
        <fieldset className="card" disabled={!canWrite}>
          <legend>refsync's own fields</legend>
          <p className="hint">
            Where refsync writes its own values. Create missing ones on the{' '}
            <Link href={`/connections/${connection.id}`}>connection's page</Link>.
          </p>
          <div className="row-fields">
            {systemKeys
              .filter((entry) => entry.subjects.includes(settings.subject))
              .map((entry) => (
                <FieldPicker
                  key={entry.key}
                  label={entry.label}
                  fields={fields}
                  only={(field) => field.createable}
                  value={systemFields[entry.key] ?? ''}
                  onChange={(value) => setSystemFields({ ...systemFields, [entry.key]: value })}
                  error={submit.fieldError(`systemFields.${entry.key}`)}
                />
              ))}
          </div>
        </fieldset>
      ) : null}
      <fieldset className="card" disabled={!canWrite}>
        <legend>When the email is already in the CRM</legend>
        <SelectField
          label="Existing record"
          value={policy}
          onChange={(value) => setPolicy(value as PushSettingsView['existingPolicy'])}
          options={policies.filter(
            (one) =>
              (one.value !== 'deny' || subject === 'referral') &&
              (one.value !== 'create_duplicate' || connection.provider === 'salesforce'),
          )}
          error={submit.fieldError('existingPolicy')}
        />
        {policy === 'deny' ? (
          <TextField
            label="Deny grace (minutes)"
            type="number"
            value={grace}
            onChange={setGrace}
            hint="A CRM record created this recently is not a reason to deny (it may be this very referral, pushed by another route)."
            error={submit.fieldError('denyGraceMinutes')}
          />
        ) : null}
      </fieldset>
      {connection.provider === 'salesforce' ? (
        <fieldset className="card" disabled={!canWrite}>
          <legend>Campaign</legend>
          <CampaignPicker
            connectionId={connection.id}
            value={campaignId}
            onChange={setCampaignId}
            error={submit.fieldError('campaignId')}
          />
        </fieldset>
      ) : null}
      {canWrite ? (
        <div className="form-footer">
          <Notice error={submit.error} success={saved} labels={FIELD_LABELS} />
          <button type="submit" className="button button-primary" disabled={submit.busy}>
            {settings ? 'Save push settings' : 'Create push settings'}
          </button>
        </div>
      ) : null}
    </form>
  );
}
