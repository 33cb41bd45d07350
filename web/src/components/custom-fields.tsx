import type { CustomField } from '../types.ts';
import { Field } from './ui.tsx';

/** Inputs for a program's custom fields, each typed as the program says. */
export function CustomFieldInputs(props: {
  fields: CustomField[];
  values: Record<string, unknown>;
  onChange: (values: Record<string, unknown>) => void;
  fieldError: (field: string) => string | undefined;
}) {
  const set = (key: string, value: unknown) => {
    const next = { ...props.values };
    if (value === '' || value === undefined) delete next[key];
    else next[key] = value;
    props.onChange(next);
  };
  return (
    <>
      {props.fields.map((field) => {
        const value = props.values[field.key];
        const label = `${field.label}${field.required ? ' (required)' : ''}`;
        if (field.type === 'boolean') {
          return (
            <label className="checkbox" key={field.key}>
              <input
                type="checkbox"
                checked={value === true}
                onChange={(event) => set(field.key, event.target.checked)}
              />
              {label}
            </label>
          );
        }
        const type =
          { number: 'number', date: 'date', email: 'email', url: 'url', text: 'text' }[field.type] ?? 'text';
        return (
          <Field key={field.key} label={label} error={props.fieldError(`customFields.${field.key}`)}>
            {({ id, describedBy, invalid }) => (
              <input
                id={id}
                type={type}
                value={value === undefined || value === null ? '' : String(value)}
                aria-describedby={describedBy}
                aria-invalid={invalid || undefined}
                onChange={(event) =>
                  set(
                    field.key,
                    field.type === 'number' && event.target.value !== ''
                      ? Number(event.target.value)
                      : event.target.value,
                  )
                }
              />
            )}
          </Field>
        );
      })}
    </>
  );
}

/** A program's custom fields with a record's values, as a definition list. */
export function CustomFieldValues(props: { fields: CustomField[]; values: Record<string, unknown> }) {
  const keys = new Set([...props.fields.map((field) => field.key), ...Object.keys(props.values)]);
  if (keys.size === 0) return <p className="muted">No custom fields.</p>;
  return (
    <dl className="details">
      {[...keys].map((key) => {
        const value = props.values[key];
        return (
          <div key={key}>
            <dt>{props.fields.find((field) => field.key === key)?.label ?? key}</dt>
            <dd>
              {value === undefined || value === null || value === ''
                ? '—'
                : typeof value === 'boolean'
                  ? value
                    ? 'Yes'
                    : 'No'
                  : String(value)}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}
