import type { FieldProblem } from '../api.ts';
import { FieldPicker, ObjectPicker, ValuePicker } from '../components/crm-pickers.tsx';
import { ReorderList } from '../components/reorder.tsx';
import { RowLabel, SelectField } from '../components/ui.tsx';
import { useCrmFields } from '../crm-meta.ts';
import type { Milestone } from '../types.ts';

/** The rows of a receiver's settings, each object, field and value picked from the CRM. */

export interface TriggerRow {
  object: string;
  field: string;
  value: string;
  milestone: string;
  allowBackward: boolean;
}

/** A field update's, target match's or member match's row: object, field and what it is for. */
export interface RuleRow {
  object: string;
  field: string;
  to: string;
}

type FieldError = (field: string) => string | undefined;

/** The rows' empty choices, named as the API names them (`statusTriggers.0.field`). */
export function missingChoices(name: string, rows: RuleRow[], toKey: string, toWhat: string): FieldProblem[] {
  return rows.flatMap((row, index) => [
    ...(row.object ? [] : [{ field: `${name}.${index}.object`, message: 'choose the object' }]),
    ...(row.field ? [] : [{ field: `${name}.${index}.field`, message: 'choose the field' }]),
    ...(row.to ? [] : [{ field: `${name}.${index}.${toKey}`, message: `choose ${toWhat}` }]),
  ]);
}

function TriggerFields(props: {
  connectionId: string | null;
  trigger: TriggerRow;
  index: number;
  milestones: Milestone[];
  onChange: (patch: Partial<TriggerRow>) => void;
  fieldError: FieldError;
}) {
  const { trigger, index } = props;
  const fields = useCrmFields(props.connectionId, trigger.object || undefined);
  const field = fields.state === 'ready' ? fields.data.find((one) => one.name === trigger.field) : undefined;
  const context = `of trigger ${index + 1}`;
  const path = `statusTriggers.${index}`;
  return (
    <div className="row-fields trigger-fields">
      <ObjectPicker
        label={<RowLabel visible="Object" context={context} />}
        kind="triggerable"
        connectionId={props.connectionId}
        value={trigger.object}
        onChange={(object) => props.onChange({ object, field: '', value: '' })}
        error={props.fieldError(`${path}.object`)}
      />
      <FieldPicker
        label={<RowLabel visible="Field" context={context} />}
        fields={fields}
        needs={trigger.object ? undefined : 'Choose the object first'}
        value={trigger.field}
        onChange={(value) => props.onChange({ field: value, value: '' })}
        error={props.fieldError(`${path}.field`)}
      />
      <ValuePicker
        label={<RowLabel visible="Value" context={context} />}
        field={field}
        value={trigger.value}
        onChange={(value) => props.onChange({ value })}
        error={props.fieldError(`${path}.value`)}
      />
      <SelectField
        label={<RowLabel visible="Milestone" context={context} />}
        value={trigger.milestone}
        onChange={(milestone) => props.onChange({ milestone })}
        options={[
          { value: '', label: 'Choose a milestone…' },
          ...props.milestones.map((m) => ({ value: m.code, label: `${m.label} (${m.code})` })),
        ]}
        error={props.fieldError(`${path}.milestone`)}
      />
      <label className="checkbox">
        <input
          type="checkbox"
          checked={trigger.allowBackward}
          onChange={(event) => props.onChange({ allowBackward: event.target.checked })}
        />
        Backwards too<span className="visually-hidden"> {context}</span>
      </label>
    </div>
  );
}

export function TriggerRows(props: {
  connectionId: string | null;
  rows: TriggerRow[];
  onChange: (rows: TriggerRow[]) => void;
  milestones: Milestone[];
  fieldError: FieldError;
}) {
  const set = (index: number, patch: Partial<TriggerRow>) =>
    props.onChange(props.rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));
  return (
    <>
      {props.rows.length === 0 ? (
        <p className="muted">No trigger yet: entries would all be ignored.</p>
      ) : null}
      <ReorderList
        items={props.rows}
        onChange={props.onChange}
        listLabel="Status triggers in order"
        label={(row) =>
          row.object && row.field ? `trigger ${row.object}.${row.field} = ${row.value}` : 'trigger'
        }
      >
        {(row, index) => (
          <div className="rule-row">
            <TriggerFields
              connectionId={props.connectionId}
              trigger={row}
              index={index}
              milestones={props.milestones}
              onChange={(patch) => set(index, patch)}
              fieldError={props.fieldError}
            />
            <button
              type="button"
              className="button button-small button-danger"
              aria-label={`Remove trigger ${index + 1}`}
              onClick={() => props.onChange(props.rows.filter((_, i) => i !== index))}
            >
              Remove
            </button>
          </div>
        )}
      </ReorderList>
      <button
        type="button"
        className="button"
        onClick={() =>
          props.onChange([
            ...props.rows,
            { object: '', field: '', value: '', milestone: '', allowBackward: false },
          ])
        }
      >
        Add trigger
      </button>
    </>
  );
}

function RuleFields(props: {
  connectionId: string | null;
  row: RuleRow;
  context: string;
  path: string;
  toKey: string;
  toLabel: string;
  toOptions: Array<{ value: string; label: string }>;
  onChange: (patch: Partial<RuleRow>) => void;
  fieldError: FieldError;
}) {
  const fields = useCrmFields(props.connectionId, props.row.object || undefined);
  return (
    <div className="row-fields">
      <ObjectPicker
        label={<RowLabel visible="Object" context={props.context} />}
        kind="triggerable"
        connectionId={props.connectionId}
        value={props.row.object}
        onChange={(object) => props.onChange({ object, field: '' })}
        error={props.fieldError(`${props.path}.object`)}
      />
      <FieldPicker
        label={<RowLabel visible="Field" context={props.context} />}
        fields={fields}
        needs={props.row.object ? undefined : 'Choose the object first'}
        value={props.row.field}
        onChange={(field) => props.onChange({ field })}
        error={props.fieldError(`${props.path}.field`)}
      />
      <SelectField
        label={<RowLabel visible={props.toLabel} context={props.context} />}
        value={props.row.to}
        onChange={(to) => props.onChange({ to })}
        options={[{ value: '', label: 'Choose…' }, ...props.toOptions]}
        error={props.fieldError(`${props.path}.${props.toKey}`)}
      />
    </div>
  );
}

/** Field updates, target match or member match: rows of object, field and a third choice. */
export function RuleRows(props: {
  connectionId: string | null;
  name: 'fieldUpdates' | 'targetMatch' | 'memberMatch';
  what: string;
  rows: RuleRow[];
  onChange: (rows: RuleRow[]) => void;
  toKey: 'target' | 'matchOn';
  toLabel: string;
  toOptions: Array<{ value: string; label: string }>;
  fieldError: FieldError;
}) {
  const set = (index: number, patch: Partial<RuleRow>) =>
    props.onChange(props.rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));
  return (
    <>
      {props.rows.length === 0 ? <p className="muted">None.</p> : null}
      <ol className="plain-list" aria-label={props.what}>
        {props.rows.map((row, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place
          <li className="rule-row" key={index}>
            <RuleFields
              connectionId={props.connectionId}
              row={row}
              context={`of ${props.what.toLowerCase()} ${index + 1}`}
              path={`${props.name}.${index}`}
              toKey={props.toKey}
              toLabel={props.toLabel}
              toOptions={props.toOptions}
              onChange={(patch) => set(index, patch)}
              fieldError={props.fieldError}
            />
            <button
              type="button"
              className="button button-small button-danger"
              aria-label={`Remove ${props.what.toLowerCase()} ${index + 1}`}
              onClick={() => props.onChange(props.rows.filter((_, i) => i !== index))}
            >
              Remove
            </button>
          </li>
        ))}
      </ol>
      <button
        type="button"
        className="button"
        onClick={() => props.onChange([...props.rows, { object: '', field: '', to: '' }])}
      >
        Add {props.what.toLowerCase()}
      </button>
    </>
  );
}
