import type { ReactNode } from 'react';
import {
  type CrmFieldView,
  type CrmOptionView,
  fieldLabel,
  type Meta,
  optionLabel,
  useCrmObjects,
} from '../crm-meta.ts';
import { Field, TextField } from './ui.tsx';

export interface Choice {
  value: string;
  label: string;
  group?: string | undefined;
}

/**
 * A select over what the CRM holds; while it loads, a disabled select saying so; when the
 * CRM cannot be read (or there is no CRM), a text box for the API name with the reason.
 */
export function PickOrType(props: {
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  choices: Meta<Choice[]>;
  placeholder: string;
  hint?: ReactNode;
  error?: string | undefined;
  what: string;
  /** Shown in a disabled list while something else must be chosen first (the object of a field). */
  needs?: string | undefined;
}) {
  const { choices } = props;
  const typed = !props.needs && (choices.state === 'error' || choices.state === 'idle');
  const hint =
    choices.state === 'error' ? (
      <>
        Could not read the CRM's {props.what}: {choices.error.message.replace(/[^.!?]$/, '$&.')} Type the API
        name.
      </>
    ) : (
      props.hint
    );
  if (typed) {
    return (
      <TextField
        label={props.label}
        value={props.value}
        onChange={props.onChange}
        hint={hint}
        error={props.error}
      />
    );
  }
  return (
    <Field label={props.label} hint={hint} error={props.error}>
      {({ id, describedBy, invalid }) => (
        <select
          id={id}
          value={props.value}
          disabled={choices.state !== 'ready'}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          onChange={(event) => props.onChange(event.target.value)}
        >
          <option value="">
            {props.needs ?? (choices.state === 'loading' ? 'Loading…' : props.placeholder)}
          </option>
          {choices.state === 'ready' ? <ChoiceOptions choices={choices.data} current={props.value} /> : null}
        </select>
      )}
    </Field>
  );
}

/** Options, in optgroups when the choices have groups; a current value the CRM lacks stays shown. */
function ChoiceOptions(props: { choices: Choice[]; current: string }) {
  const missing =
    props.current && !props.choices.some((choice) => choice.value === props.current) ? (
      <option value={props.current}>{props.current} (not in the CRM)</option>
    ) : null;
  const groups = [...new Set(props.choices.map((choice) => choice.group ?? ''))];
  if (groups.length <= 1 && !groups[0]) {
    return (
      <>
        {missing}
        {props.choices.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </>
    );
  }
  return (
    <>
      {missing}
      {groups.map((group) => (
        <optgroup key={group} label={group || 'Other'}>
          {props.choices
            .filter((choice) => (choice.group ?? '') === group)
            .map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.label}
              </option>
            ))}
        </optgroup>
      ))}
    </>
  );
}

function mapMeta<T, U>(meta: Meta<T>, f: (data: T) => U): Meta<U> {
  return meta.state === 'ready' ? { state: 'ready', data: f(meta.data), error: undefined } : meta;
}

/** The CRM's objects refsync can push to (`pushable`) or receive events from (`triggerable`). */
export function ObjectPicker(props: {
  connectionId: string | null;
  kind: 'pushable' | 'triggerable';
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
  hint?: ReactNode;
  /** What the empty choice means, when it means more than "not chosen yet". */
  placeholder?: string;
}) {
  const objects = useCrmObjects(props.connectionId);
  return (
    <PickOrType
      label={props.label}
      value={props.value}
      onChange={props.onChange}
      what="objects"
      placeholder={props.placeholder ?? 'Choose an object…'}
      hint={props.hint}
      error={props.error}
      choices={mapMeta(objects, (list) =>
        list
          .filter((object) => object[props.kind])
          .map((object) => ({
            value: object.name,
            label:
              object.label && object.label !== object.name ? `${object.label} (${object.name})` : object.name,
          })),
      )}
    />
  );
}

/** Fields of one object: required ones first, each with label, API name and type. */
export function FieldPicker(props: {
  fields: Meta<CrmFieldView[]>;
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
  hint?: ReactNode;
  only?: (field: CrmFieldView) => boolean;
  /** Set while the object is not chosen yet. */
  needs?: string | undefined;
}) {
  const { only } = props;
  return (
    <PickOrType
      needs={props.needs}
      label={props.label}
      value={props.value}
      onChange={props.onChange}
      what="fields"
      placeholder="Choose a field…"
      hint={props.hint}
      error={props.error}
      choices={mapMeta(props.fields, (list) =>
        [...list]
          .filter((field) => !only || only(field))
          .sort(
            (a, b) =>
              Number(b.required) - Number(a.required) || (a.label || a.name).localeCompare(b.label || b.name),
          )
          .map((field) => ({
            value: field.name,
            label: fieldLabel(field),
            group: field.required ? 'Required fields' : 'Other fields',
          })),
      )}
    />
  );
}

/** A value of a listed field (picklist values, deal stages by pipeline), or typed when the field is free. */
export function ValuePicker(props: {
  field: CrmFieldView | undefined;
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
}) {
  const options: CrmOptionView[] | undefined = props.field?.options;
  if (!options || options.length === 0) {
    return (
      <TextField
        label={props.label}
        value={props.value}
        onChange={props.onChange}
        error={props.error}
        {...(props.field ? { hint: 'Compared as text, case-sensitively.' } : {})}
      />
    );
  }
  return (
    <PickOrType
      label={props.label}
      value={props.value}
      onChange={props.onChange}
      what="values"
      placeholder="Choose a value…"
      error={props.error}
      choices={{
        state: 'ready',
        error: undefined,
        data: options.map((option) => ({
          value: option.value,
          label: optionLabel(option),
          group: option.group,
        })),
      }}
    />
  );
}

/** A row's checkbox with its label. */
export function Check(props: {
  label: ReactNode;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: string;
}) {
  return (
    <label className="checkbox checkbox-block">
      <input
        type="checkbox"
        checked={props.checked}
        onChange={(event) => props.onChange(event.target.checked)}
      />
      <span>
        {props.label}
        {props.hint ? <span className="check-hint">{props.hint}</span> : null}
      </span>
    </label>
  );
}

/** Records or campaigns a search found, one to tick; "none" says so. */
export function FoundList<T>(props: {
  found: T[] | undefined;
  legend: string;
  none: ReactNode;
  name: string;
  idOf: (item: T) => string;
  selected: string | null;
  onSelect: (id: string) => void;
  children: (item: T) => ReactNode;
}) {
  if (!props.found) return null;
  if (props.found.length === 0) return <p className="muted">{props.none}</p>;
  return (
    <fieldset className="choice-list">
      <legend>{props.legend}</legend>
      {props.found.map((item) => (
        <label className="checkbox checkbox-block" key={props.idOf(item)}>
          <input
            type="radio"
            name={props.name}
            checked={props.selected === props.idOf(item)}
            onChange={() => props.onSelect(props.idOf(item))}
          />
          <span>{props.children(item)}</span>
        </label>
      ))}
    </fieldset>
  );
}
