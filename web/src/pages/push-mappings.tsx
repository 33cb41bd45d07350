import type { ReactNode } from 'react';
import { FieldPicker, PickOrType } from '../components/crm-pickers.tsx';
import { Field, RowLabel } from '../components/ui.tsx';
import type { CrmFieldView, Meta } from '../crm-meta.ts';
import type { CustomField } from '../types.ts';
import { type MappingRow, sourceChoices } from './mapping-values.ts';

export function MappingRows(props: {
  rows: MappingRow[];
  onChange: (rows: MappingRow[]) => void;
  fields: Meta<CrmFieldView[]>;
  subject: 'referral' | 'member';
  referralFields: CustomField[];
  memberFields: CustomField[];
  fieldError: (field: string) => string | undefined;
}) {
  const set = (index: number, patch: Partial<MappingRow>) =>
    props.onChange(props.rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));
  const sources = sourceChoices(props.subject, props.referralFields, props.memberFields);
  const fieldList = props.fields.state === 'ready' ? props.fields.data : [];
  return (
    <>
      {props.rows.length === 0 ? (
        <p className="muted">
          No extra mappings: refsync writes the name, email, company and its own fields.
        </p>
      ) : null}
      <ol className="plain-list mapping-list" aria-label="Field mappings">
        {props.rows.map((row, index) => {
          const context = `of mapping ${index + 1}`;
          const field = fieldList.find((one) => one.name === row.crmField);
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place
            <li className="row-fields mapping-row" key={index}>
              <FieldPicker
                label={<RowLabel visible="CRM field" context={context} />}
                fields={props.fields}
                only={(one) => one.createable}
                value={row.crmField}
                onChange={(crmField) => set(index, { crmField })}
                error={props.fieldError(`mappings.${index}.crmField`)}
              />
              <PickOrType
                label={<RowLabel visible="Comes from" context={context} />}
                what="sources"
                placeholder="Choose a source…"
                value={row.mode === 'fixed' ? '=fixed' : row.from}
                onChange={(value) =>
                  set(
                    index,
                    value === '=fixed' ? { mode: 'fixed', from: '' } : { mode: 'source', from: value },
                  )
                }
                choices={{
                  state: 'ready',
                  error: undefined,
                  data: [{ value: '=fixed', label: 'A fixed value', group: 'Fixed' }, ...sources],
                }}
                error={props.fieldError(`mappings.${index}.from`)}
              />
              <FixedValue
                label={
                  <RowLabel
                    visible={row.mode === 'fixed' ? 'Fixed value' : 'Value when empty'}
                    context={context}
                  />
                }
                field={field}
                value={row.value}
                onChange={(value) => set(index, { value })}
                error={props.fieldError(`mappings.${index}.value`)}
              />
              <button
                type="button"
                className="button button-small button-danger"
                aria-label={`Remove mapping ${index + 1}`}
                onClick={() => props.onChange(props.rows.filter((_, i) => i !== index))}
              >
                Remove
              </button>
            </li>
          );
        })}
      </ol>
      <button
        type="button"
        className="button"
        onClick={() => props.onChange([...props.rows, { crmField: '', mode: 'source', from: '', value: '' }])}
      >
        Add mapping
      </button>
    </>
  );
}

/** A fixed value typed as its CRM field: a list for picklists, yes/no for checkboxes, a number box. */
function FixedValue(props: {
  label: ReactNode;
  field: CrmFieldView | undefined;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
}) {
  const { field } = props;
  const choices =
    field?.type === 'boolean'
      ? [
          { value: 'true', label: 'Yes (true)' },
          { value: 'false', label: 'No (false)' },
        ]
      : field?.options?.map((option) => ({ value: option.value, label: option.label || option.value }));
  return (
    <Field label={props.label} error={props.error}>
      {({ id, describedBy, invalid }) =>
        choices && choices.length > 0 ? (
          <select
            id={id}
            value={props.value}
            aria-describedby={describedBy}
            aria-invalid={invalid || undefined}
            onChange={(event) => props.onChange(event.target.value)}
          >
            <option value="">(none)</option>
            {choices.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.label}
              </option>
            ))}
          </select>
        ) : (
          <input
            id={id}
            type={field?.type === 'number' ? 'number' : 'text'}
            value={props.value}
            aria-describedby={describedBy}
            aria-invalid={invalid || undefined}
            onChange={(event) => props.onChange(event.target.value)}
          />
        )
      }
    </Field>
  );
}
