import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { DataState } from '../components/data.tsx';
import { ConnectionFilter, FilterBar, useConnections, useFilters } from '../components/filters.tsx';
import { EntryStatus, entryOutcomeOptions, sourceLabels } from '../components/outcomes.tsx';
import { Pager, useCursorPages } from '../components/pager.tsx';
import { entriesChanged } from '../components/review-badge.tsx';
import { formatDate, Notice, PageHeader, SelectField, TextField, useSubmit } from '../components/ui.tsx';
import { Link, setQuery, useTitle } from '../router.tsx';
import { useCanWrite } from '../session.tsx';
import type { Page, SalesEntryView } from '../types.ts';
import { entryInWords } from './sales-entry-words.ts';

const filterNames = ['status', 'source', 'connectionId', 'receivedFrom', 'receivedTo', 'q'] as const;

export function SalesEntriesPage() {
  useTitle('Sales entries');
  const canWrite = useCanWrite();
  const { values: filters, key, active: filtered, clear } = useFilters(filterNames);
  const [round, setRound] = useState(0);
  const paging = useCursorPages(
    (cursor) => api.get<Page<SalesEntryView>>('/sales-entries', { ...filters, cursor, limit: 50 }),
    `${key}|${round}`,
  );
  const connectionList = useConnections();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const shown = paging.loaded.state === 'ready' ? paging.loaded.data.data : [];

  return (
    <>
      <PageHeader
        title="Sales entries"
        subtitle="Every event your CRM sent (or a poll found), and what refsync did with it, newest first."
      />
      <FilterBar label="Filter sales entries" active={filtered} onClear={clear}>
        <TextField
          label="Search"
          value={filters.q}
          placeholder="Record ID, email, code, reason"
          onChange={(value) => setQuery({ q: value })}
        />
        <SelectField
          label="Outcome"
          value={filters.status}
          onChange={(value) => setQuery({ status: value })}
          options={entryOutcomeOptions}
        />
        <SelectField
          label="Source"
          value={filters.source}
          onChange={(value) => setQuery({ source: value })}
          options={[
            { value: '', label: 'Any source' },
            ...Object.entries(sourceLabels).map(([value, label]) => ({ value, label })),
          ]}
        />
        <ConnectionFilter value={filters.connectionId} connections={connectionList} />
        <TextField
          label="Received from"
          type="date"
          value={filters.receivedFrom}
          onChange={(value) => setQuery({ receivedFrom: value })}
        />
        <TextField
          label="Received until"
          type="date"
          value={filters.receivedTo}
          onChange={(value) => setQuery({ receivedTo: value })}
        />
      </FilterBar>
      {canWrite ? (
        <BulkRetry
          selected={[...selected].filter((id) => shown.some((entry) => entry.id === id))}
          onDone={() => {
            setSelected(new Set());
            setRound((n) => n + 1);
          }}
        />
      ) : null}
      <DataState
        loaded={paging.loaded}
        what="sales entries"
        isEmpty={(page) => page.data.length === 0}
        empty={
          filtered
            ? 'No sales entry matches these filters.'
            : 'No sales entries yet. They arrive when a connected CRM sends an event (see Connections) or through POST /api/v1/sales-entries.'
        }
      >
        {(page) => (
          <table className="table" data-testid="sales-entries-table">
            <caption className="visually-hidden">Sales entries, page {paging.page}</caption>
            <thead>
              <tr>
                {canWrite ? (
                  <th scope="col">
                    <input
                      type="checkbox"
                      aria-label="Select every entry on this page"
                      checked={page.data.length > 0 && page.data.every((entry) => selected.has(entry.id))}
                      onChange={(event) =>
                        setSelected(new Set(event.target.checked ? page.data.map((entry) => entry.id) : []))
                      }
                    />
                  </th>
                ) : null}
                <th scope="col">Outcome</th>
                <th scope="col">Record</th>
                <th scope="col">What happened</th>
                <th scope="col">Source</th>
                <th scope="col">Received</th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((entry) => (
                <tr key={entry.id}>
                  {canWrite ? (
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select entry ${entry.objectType ?? ''} ${entry.recordId ?? entry.id}`}
                        checked={selected.has(entry.id)}
                        onChange={(event) => {
                          const next = new Set(selected);
                          if (event.target.checked) next.add(entry.id);
                          else next.delete(entry.id);
                          setSelected(next);
                        }}
                      />
                    </td>
                  ) : null}
                  <td>
                    <EntryStatus status={entry.status} />
                  </td>
                  <td>
                    <Link href={`/sales-entries/${entry.id}`}>
                      {entry.objectType ?? 'Entry'} {entry.recordId ?? entry.id}
                    </Link>
                  </td>
                  <td className="entry-summary">{entryInWords(entry).headline}</td>
                  <td>{sourceLabels[entry.source] ?? entry.source}</td>
                  <td>{formatDate(entry.receivedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </DataState>
      <Pager {...paging} label="Sales entries" />
    </>
  );
}

/** Retries the selected entries and follows them until each has an outcome again. */
function BulkRetry(props: { selected: string[]; onDone: () => void }) {
  const submit = useSubmit();
  const [progress, setProgress] = useState<{ ids: string[]; done: number } | undefined>();
  const [finished, setFinished] = useState<string | undefined>();
  useEffect(() => {
    if (!progress || progress.done >= progress.ids.length) return;
    const timer = window.setTimeout(async () => {
      const entries = await Promise.all(
        progress.ids.map((id) => api.get<SalesEntryView>(`/sales-entries/${id}`).catch(() => undefined)),
      );
      const done = entries.filter((entry) => entry?.status !== 'received');
      setProgress({ ids: progress.ids, done: done.length });
      if (done.length >= progress.ids.length) {
        const counts = new Map<string, number>();
        for (const entry of entries) if (entry) counts.set(entry.status, (counts.get(entry.status) ?? 0) + 1);
        setFinished(
          `Processed ${progress.ids.length} again: ${[...counts].map(([status, n]) => `${n} ${status}`).join(', ')}.`,
        );
        props.onDone();
        entriesChanged();
      }
    }, 800);
    return () => window.clearTimeout(timer);
  }, [progress, props]);
  const running = progress !== undefined && progress.done < progress.ids.length;
  return (
    <div className="bulk-bar">
      <button
        type="button"
        className="button"
        disabled={props.selected.length === 0 || submit.busy || running}
        onClick={() =>
          submit.run(async () => {
            setFinished(undefined);
            const ids = props.selected;
            await api.post('/sales-entries/retry', { ids });
            setProgress({ ids, done: 0 });
          })
        }
      >
        Retry selected ({props.selected.length})
      </button>
      {running ? (
        <span role="status" className="bulk-progress">
          <progress max={progress.ids.length} value={progress.done} aria-label="Retry progress" />{' '}
          {progress.done} of {progress.ids.length} processed
        </span>
      ) : null}
      <Notice error={submit.error} success={running ? undefined : finished} />
    </div>
  );
}
