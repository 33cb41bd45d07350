import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import { DataState, useLoad } from '../components/data.tsx';
import { ReorderList } from '../components/reorder.tsx';
import { Notice, PageHeader, RowLabel, SelectField, TextField, useSubmit } from '../components/ui.tsx';
import { navigate, useTitle } from '../router.tsx';
import { useCanWrite } from '../session.tsx';
import type { CustomField, Milestone, ProgramView } from '../types.ts';

const kinds: Array<{ value: Milestone['kind']; label: string }> = [
  { value: 'pending', label: 'Pending (in progress)' },
  { value: 'qualified', label: 'Qualified' },
  { value: 'approved', label: 'Approved (final, earns rewards)' },
  { value: 'denied', label: 'Denied (final)' },
];
const fieldTypes: CustomField['type'][] = ['text', 'number', 'boolean', 'date', 'email', 'url'];

const defaults: Milestone[] = [
  { code: 'submitted', label: 'Submitted', kind: 'pending' },
  { code: 'qualified', label: 'Qualified', kind: 'qualified' },
  { code: 'won', label: 'Won', kind: 'approved' },
  { code: 'lost', label: 'Lost', kind: 'denied' },
];

/** A milestone code from a label: `Demo booked` → `demo_booked`. */
function codeOf(label: string): string {
  return label
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[^a-z]+|_+$/g, '')
    .slice(0, 50);
}

/** Saved milestones keep their code (referrals point at it); new ones follow their label. */
function codeFollows(milestone: Milestone, saved: readonly Milestone[]): boolean {
  if (saved.some((m) => m.code === milestone.code)) return false;
  return milestone.code === '' || milestone.code === codeOf(milestone.label);
}

export function ProgramEditPage(props: { id?: string | undefined }) {
  const loaded = useLoad(
    () => (props.id ? api.get<ProgramView>(`/programs/${props.id}`) : Promise.resolve(undefined)),
    props.id ?? 'new',
  );
  return (
    <DataState loaded={loaded} what="the program">
      {(program) => <ProgramForm program={program} />}
    </DataState>
  );
}

function ProgramForm(props: { program: ProgramView | undefined }) {
  const { program } = props;
  useTitle(program ? program.name : 'New program');
  const canWrite = useCanWrite();
  const [name, setName] = useState(program?.name ?? '');
  const [linkBase, setLinkBase] = useState(program?.referralLinkBase ?? '');
  const [milestones, setMilestones] = useState<Milestone[]>(program?.milestones ?? defaults);
  const [memberFields, setMemberFields] = useState<CustomField[]>(program?.memberFields ?? []);
  const [referralFields, setReferralFields] = useState<CustomField[]>(program?.referralFields ?? []);
  const [saved, setSaved] = useState<string | undefined>();
  const submit = useSubmit();

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(undefined);
    void submit.run(async () => {
      const body = { name, referralLinkBase: linkBase || null, milestones, memberFields, referralFields };
      if (program) {
        await api.patch<ProgramView>(`/programs/${program.id}`, body);
        setSaved('Program saved.');
      } else {
        const created = await api.post<ProgramView>('/programs', body);
        navigate(`/programs/${created.id}`, { replace: true });
      }
    });
  };

  const setMilestone = (index: number, patch: Partial<Milestone>) =>
    setMilestones(milestones.map((m, i) => (i === index ? { ...m, ...patch } : m)));

  return (
    <form onSubmit={onSubmit} aria-label={program ? `Edit ${program.name}` : 'New program'}>
      <PageHeader
        title={program ? program.name : 'New program'}
        subtitle={program ? `Program ${program.id}` : 'Name it, then shape the path a referral takes.'}
        actions={
          canWrite ? (
            <button type="submit" className="button button-primary" disabled={submit.busy}>
              {program ? 'Save program' : 'Create program'}
            </button>
          ) : null
        }
      />
      <Notice error={submit.error} success={saved} />
      <fieldset className="card" disabled={!canWrite}>
        <legend>Program</legend>
        <TextField label="Name" required value={name} onChange={setName} error={submit.fieldError('name')} />
        <TextField
          label="Referral link base"
          type="url"
          value={linkBase}
          onChange={setLinkBase}
          placeholder="https://example.com/join"
          hint="Members' links add ?ref=<their code> to it."
          error={submit.fieldError('referralLinkBase')}
        />
      </fieldset>
      <fieldset className="card" disabled={!canWrite}>
        <legend>Milestones</legend>
        <p className="hint">
          The order referrals move through; the first is where new referrals start (its kind must be pending).
          Drag a row, or use the arrow buttons, to reorder.
        </p>
        {submit.fieldError('milestones') && !/^milestones\.\d/.test(submit.error?.fields[0]?.field ?? '') ? (
          <p className="field-error">{submit.fieldError('milestones')}</p>
        ) : null}
        <ReorderList
          items={milestones}
          onChange={setMilestones}
          label={(m) => m.label || m.code || 'milestone'}
          listLabel="Milestones in order"
        >
          {(milestone, index) => (
            <div className="row-fields">
              <TextField
                label={<RowLabel visible="Code" context={`of milestone ${index + 1}`} />}
                value={milestone.code}
                onChange={(code) => setMilestone(index, { code })}
                error={submit.fieldError(`milestones.${index}.code`)}
              />
              <TextField
                label={<RowLabel visible="Label" context={`of milestone ${index + 1}`} />}
                value={milestone.label}
                onChange={(label) =>
                  // A new milestone's code follows its label until the code is edited by hand.
                  setMilestone(
                    index,
                    codeFollows(milestone, program?.milestones ?? [])
                      ? { label, code: codeOf(label) }
                      : { label },
                  )
                }
                error={submit.fieldError(`milestones.${index}.label`)}
              />
              <SelectField
                label={<RowLabel visible="Kind" context={`of milestone ${index + 1}`} />}
                value={milestone.kind}
                onChange={(kind) => setMilestone(index, { kind: kind as Milestone['kind'] })}
                options={kinds}
              />
              <button
                type="button"
                className="button button-small button-danger"
                aria-label={`Remove milestone ${milestone.label || index + 1}`}
                onClick={() => setMilestones(milestones.filter((_, i) => i !== index))}
              >
                Remove
              </button>
            </div>
          )}
        </ReorderList>
        <button
          type="button"
          className="button"
          onClick={() => setMilestones([...milestones, { code: '', label: '', kind: 'pending' }])}
        >
          Add milestone
        </button>
      </fieldset>
      <FieldsEditor
        title="Custom fields for members"
        name="memberFields"
        fields={memberFields}
        onChange={setMemberFields}
        submit={submit}
        disabled={!canWrite}
      />
      <FieldsEditor
        title="Custom fields for referrals"
        name="referralFields"
        fields={referralFields}
        onChange={setReferralFields}
        submit={submit}
        disabled={!canWrite}
      />
      {canWrite ? (
        <div className="form-footer">
          <Notice error={submit.error} success={saved} />
          <button type="submit" className="button button-primary" disabled={submit.busy}>
            {program ? 'Save program' : 'Create program'}
          </button>
        </div>
      ) : null}
    </form>
  );
}

function FieldsEditor(props: {
  title: string;
  name: string;
  fields: CustomField[];
  onChange: (fields: CustomField[]) => void;
  submit: ReturnType<typeof useSubmit>;
  disabled: boolean;
}) {
  const set = (index: number, patch: Partial<CustomField>) =>
    props.onChange(props.fields.map((field, i) => (i === index ? { ...field, ...patch } : field)));
  return (
    <fieldset className="card" disabled={props.disabled}>
      <legend>{props.title}</legend>
      {props.fields.length === 0 ? <p className="muted">None yet.</p> : null}
      {props.fields.map((field, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place
        <div className="row-fields" key={index}>
          <TextField
            label={
              <RowLabel
                visible="Key"
                context={`of ${props.name === 'memberFields' ? 'member' : 'referral'} field ${index + 1}`}
              />
            }
            value={field.key}
            onChange={(key) => set(index, { key })}
            error={props.submit.fieldError(`${props.name}.${index}.key`)}
          />
          <TextField
            label={
              <RowLabel
                visible="Label"
                context={`of ${props.name === 'memberFields' ? 'member' : 'referral'} field ${index + 1}`}
              />
            }
            value={field.label}
            onChange={(label) => set(index, { label })}
            error={props.submit.fieldError(`${props.name}.${index}.label`)}
          />
          <SelectField
            label={
              <RowLabel
                visible="Type"
                context={`of ${props.name === 'memberFields' ? 'member' : 'referral'} field ${index + 1}`}
              />
            }
            value={field.type}
            onChange={(type) => set(index, { type: type as CustomField['type'] })}
            options={fieldTypes.map((type) => ({ value: type, label: type }))}
          />
          <label className="checkbox">
            <input
              type="checkbox"
              checked={field.required ?? false}
              onChange={(event) => set(index, { required: event.target.checked })}
            />
            Required
          </label>
          <button
            type="button"
            className="button button-small button-danger"
            aria-label={`Remove ${props.name === 'memberFields' ? 'member' : 'referral'} field ${field.label || index + 1}`}
            onClick={() => props.onChange(props.fields.filter((_, i) => i !== index))}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        className="button"
        onClick={() =>
          props.onChange([...props.fields, { key: '', label: '', type: 'text', required: false }])
        }
      >
        Add {props.name === 'memberFields' ? 'member' : 'referral'} field
      </button>
    </fieldset>
  );
}
