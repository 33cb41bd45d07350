import { type ReactNode, useId, useState } from 'react';
import { ApiError, type FieldProblem } from '../api.ts';

export function PageHeader(props: { title: string; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{props.title}</h1>
        {props.subtitle ? <p className="subtitle">{props.subtitle}</p> : null}
      </div>
      {props.actions ? <div className="actions">{props.actions}</div> : null}
    </header>
  );
}

/** A labelled control with its hint and the API's complaint about it, tied together for screen readers. */
export function Field(props: {
  label: ReactNode;
  hint?: ReactNode;
  error?: string | undefined;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy =
    [props.hint ? hintId : '', props.error ? errorId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${props.error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{props.label}</label>
      {props.children({ id, describedBy, invalid: Boolean(props.error) })}
      {props.hint ? (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      ) : null}
      {props.error ? (
        <p className="field-error" id={errorId}>
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

export function TextField(props: {
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  type?: string;
  hint?: ReactNode;
  error?: string | undefined;
  required?: boolean;
  autoComplete?: string;
  placeholder?: string;
}) {
  return (
    <Field label={props.label} hint={props.hint} error={props.error}>
      {({ id, describedBy, invalid }) => (
        <input
          id={id}
          type={props.type ?? 'text'}
          value={props.value}
          required={props.required}
          autoComplete={props.autoComplete}
          placeholder={props.placeholder}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          onChange={(event) => props.onChange(event.target.value)}
        />
      )}
    </Field>
  );
}

export function SelectField(props: {
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  options: Array<{ value: string; label: string }>;
  hint?: ReactNode;
  error?: string | undefined;
}) {
  return (
    <Field label={props.label} hint={props.hint} error={props.error}>
      {({ id, describedBy, invalid }) => (
        <select
          id={id}
          value={props.value}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          onChange={(event) => props.onChange(event.target.value)}
        >
          {props.options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** A form's outcome: the API's message (role=alert) or a confirmation (role=status). */
/** `programId` → `Program ID`, `denyGraceMinutes` → `Deny grace minutes`. */
function words(name: string): string {
  const spaced = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/\bId\b/g, 'ID')
    .toLowerCase()
    .replace(/\bid\b/g, 'ID');
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/**
 * A field the API named by its path, as a person reads it: `mappings.0.from` with the label
 * `from: 'Comes from'` is "Mapping 1, Comes from". `labels` names fields as the form does.
 */
export function fieldName(path: string, labels: Record<string, string> = {}): string {
  const parts: string[] = [];
  for (const segment of path.split('.')) {
    if (/^\d+$/.test(segment) && parts.length > 0) {
      const list = parts.pop() ?? '';
      parts.push(`${list.replace(/s$/, '')} ${Number(segment) + 1}`);
    } else {
      parts.push(labels[segment] ?? words(segment));
    }
  }
  return parts.join(', ');
}

export function Notice(props: {
  error?: ApiError | undefined;
  success?: string | undefined;
  /** How the form labels the fields the API may name (see `fieldName`). */
  labels?: Record<string, string>;
}) {
  if (props.error) {
    const problems = props.error.fields;
    if (problems.length === 0) {
      return (
        <div className="notice notice-error" role="alert">
          {props.error.message}
        </div>
      );
    }
    return (
      <div className="notice notice-error" role="alert">
        <p>
          {problems.length === 1 ? 'One field needs a change:' : `${problems.length} fields need a change:`}
        </p>
        <ul>
          {problems.map((problem) => (
            <li key={`${problem.field}:${problem.message}`}>
              {fieldName(problem.field, props.labels)}: {problem.message}
            </li>
          ))}
        </ul>
      </div>
    );
  }
  if (props.success) {
    return (
      <div className="notice notice-success" role="status">
        {props.success}
      </div>
    );
  }
  return null;
}

/** Runs a form's submit, keeping its busy flag, error and per-field problems. */
export function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (caught) {
      setError(
        caught instanceof ApiError
          ? caught
          : new ApiError(
              0,
              'unexpected',
              caught instanceof Error ? caught.message : String(caught),
              undefined,
            ),
      );
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (field: string): string | undefined =>
    error?.fields.find(
      (problem: FieldProblem) => problem.field === field || problem.field.startsWith(`${field}.`),
    )?.message;
  return { busy, error, run, fieldError, clear: () => setError(undefined) };
}

export function CopyButton(props: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="button button-small"
      aria-label={props.label}
      onClick={async () => {
        await navigator.clipboard?.writeText(props.text).catch(() => undefined);
        setCopied(true);
        window.setTimeout(() => setCopied(false), 2000);
      }}
    >
      {copied ? 'Copied' : 'Copy'}
      <span className="visually-hidden" aria-live="polite">
        {copied ? ' to the clipboard' : ''}
      </span>
    </button>
  );
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function personName(p: {
  firstName: string | null;
  lastName: string | null;
  email: string | null;
}): string {
  const name = [p.firstName, p.lastName].filter(Boolean).join(' ');
  return name || p.email || '(no name)';
}

export function Badge(props: { kind: string; children: ReactNode }) {
  return <span className={`badge badge-${props.kind}`}>{props.children}</span>;
}

/** A label that shows `visible` and tells screen readers the rest (`Code` + ` of milestone 2`). */
export function RowLabel(props: { visible: string; context: string }) {
  return (
    <>
      {props.visible}
      <span className="visually-hidden"> {props.context}</span>
    </>
  );
}

/** A table's header row; a column named `''` is announced as "Actions" but shows nothing. */
export function TableHead(props: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {props.columns.map((column) => (
          <th scope="col" key={column || 'actions'}>
            {column || <span className="visually-hidden">Actions</span>}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/** A destructive action: asks first, then runs. */
export function DangerButton(props: {
  label: string;
  question: string;
  onConfirm: () => void;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      className="button button-small button-danger"
      aria-label={props.label}
      onClick={() => {
        if (window.confirm(props.question)) props.onConfirm();
      }}
    >
      {props.children}
    </button>
  );
}
