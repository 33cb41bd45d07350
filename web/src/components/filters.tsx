import type { ReactNode } from 'react';
import { api } from '../api.ts';
import { setQuery, useLocation } from '../router.tsx';
import type { ConnectionView } from '../types.ts';
import { useLoad } from './data.tsx';
import { SelectField } from './ui.tsx';

/** A list page's filters, kept in the query string so a filtered list can be linked and reloaded. */
export function useFilters<N extends string>(names: readonly N[]) {
  const { query } = useLocation();
  const values = Object.fromEntries(names.map((name) => [name, query.get(name) ?? ''])) as Record<N, string>;
  return {
    values,
    /** Changes as any filter does: reload and start again at the first page. */
    key: names.map((name) => values[name]).join('|'),
    active: names.some((name) => values[name]),
    clear: () => setQuery(Object.fromEntries(names.map((name) => [name, undefined]))),
  };
}

/** The filter form of a list: its controls, and "Clear filters" once one is set. */
export function FilterBar(props: {
  label: string;
  active: boolean;
  onClear: () => void;
  children: ReactNode;
}) {
  return (
    <form className="filters" aria-label={props.label} onSubmit={(event) => event.preventDefault()}>
      {props.children}
      {props.active ? (
        <button type="button" className="button filters-clear" onClick={props.onClear}>
          Clear filters
        </button>
      ) : null}
    </form>
  );
}

/** The workspace's connections, for pickers and names. */
export function useConnections(): ConnectionView[] {
  const loaded = useLoad(() => api.get<{ data: ConnectionView[] }>('/connections'), 'connections');
  return loaded.state === 'ready' ? loaded.data.data : [];
}

export function ConnectionFilter(props: { value: string; connections: ConnectionView[] }) {
  return (
    <SelectField
      label="Connection"
      value={props.value}
      onChange={(value) => setQuery({ connectionId: value })}
      options={[
        { value: '', label: 'Any connection' },
        ...props.connections.map((item) => ({ value: item.id, label: item.name })),
      ]}
    />
  );
}
