import { useState } from 'react';
import { api } from '../api.ts';
import { DataState } from '../components/data.tsx';
import { ConnectionFilter, FilterBar, useConnections, useFilters } from '../components/filters.tsx';
import { PushAction } from '../components/outcomes.tsx';
import { Pager, useCursorPages } from '../components/pager.tsx';
import { formatDate, Notice, PageHeader, SelectField, TextField, useSubmit } from '../components/ui.tsx';
import { Link, setQuery, useTitle } from '../router.tsx';
import { useCanWrite } from '../session.tsx';
import type { Page, PushLogView } from '../types.ts';

const filterNames = ['action', 'subjectId', 'connectionId'] as const;
const actions = ['created', 'updated', 'skipped', 'denied', 'failed', 'waiting'];

export function PushLogPage() {
  useTitle('Push log');
  const canWrite = useCanWrite();
  const { values: filters, key: filterKey, active: filtered, clear } = useFilters(filterNames);
  const [round, setRound] = useState(0);
  const key = `${filterKey}|${round}`;
  const paging = useCursorPages(
    (cursor) => api.get<Page<PushLogView>>('/push-log', { ...filters, cursor, limit: 50 }),
    key,
  );
  const connectionList = useConnections();
  const connectionName = (id: string) => connectionList.find((item) => item.id === id)?.name ?? id;
  const submit = useSubmit();
  const [done, setDone] = useState<string | undefined>();
  const retry = (work: () => Promise<{ queued: number }>) =>
    submit.run(async () => {
      setDone(undefined);
      const { queued } = await work();
      setDone(
        queued === 0
          ? 'Nothing to push again.'
          : `${queued} push${queued === 1 ? '' : 'es'} queued; new attempts appear here.`,
      );
      window.setTimeout(() => setRound((n) => n + 1), 1500);
    });

  return (
    <>
      <PageHeader
        title="Push log"
        subtitle="Every attempt to write a referral or member into a CRM, with the CRM's answer word for word."
        actions={
          canWrite ? (
            <button
              type="button"
              className="button"
              disabled={submit.busy}
              onClick={() => retry(() => api.post('/push-log/retry-failed', {}))}
            >
              Retry all failed
            </button>
          ) : null
        }
      />
      <Notice error={submit.error} success={done} />
      <FilterBar label="Filter the push log" active={filtered} onClear={clear}>
        <SelectField
          label="Outcome"
          value={filters.action}
          onChange={(value) => setQuery({ action: value })}
          options={[
            { value: '', label: 'Any outcome' },
            ...actions.map((value) => ({ value, label: value.charAt(0).toUpperCase() + value.slice(1) })),
          ]}
        />
        <TextField
          label="Referral or member ID"
          value={filters.subjectId}
          placeholder="ref_… or mem_…"
          onChange={(value) => setQuery({ subjectId: value })}
        />
        <ConnectionFilter value={filters.connectionId} connections={connectionList} />
      </FilterBar>
      <DataState
        loaded={paging.loaded}
        what="the push log"
        isEmpty={(page) => page.data.length === 0}
        empty={
          filtered
            ? 'No push matches these filters.'
            : 'Nothing pushed yet. Pushes start once a program has push settings for a connection.'
        }
      >
        {(page) => (
          <table className="table" data-testid="push-log-table">
            <caption className="visually-hidden">Push log, page {paging.page}</caption>
            <thead>
              <tr>
                <th scope="col">Outcome</th>
                <th scope="col">Subject</th>
                <th scope="col">CRM record</th>
                <th scope="col">CRM answer</th>
                <th scope="col">Connection</th>
                <th scope="col">When</th>
                {canWrite ? <th scope="col">Retry</th> : null}
              </tr>
            </thead>
            <tbody>
              {page.data.map((row) => (
                <tr key={row.id}>
                  <td>
                    <PushAction action={row.action} />
                  </td>
                  <td>
                    <Link href={`/${row.subject === 'member' ? 'members' : 'referrals'}/${row.subjectId}`}>
                      {row.subject === 'member' ? 'Member' : 'Referral'} {row.subjectId}
                    </Link>
                  </td>
                  <td>
                    {row.crmUrl ? (
                      <a href={row.crmUrl} target="_blank" rel="noreferrer">
                        {row.crmObject} {row.crmId}
                      </a>
                    ) : (
                      [row.crmObject, row.crmId].filter(Boolean).join(' ') || '—'
                    )}
                  </td>
                  <td className="crm-answer">
                    {row.crmCode ? <code>{row.crmCode}</code> : null}{' '}
                    {row.message ?? (row.crmCode ? '' : '—')}
                  </td>
                  <td>{connectionName(row.connectionId)}</td>
                  <td>{formatDate(row.createdAt)}</td>
                  {canWrite ? (
                    <td>
                      {row.action === 'failed' || row.action === 'waiting' || row.action === 'denied' ? (
                        <button
                          type="button"
                          className="button button-small"
                          disabled={submit.busy}
                          aria-label={`Push ${row.subject} ${row.subjectId} again`}
                          onClick={() => retry(() => api.post(`/push-log/${row.id}/retry`, {}))}
                        >
                          Retry
                        </button>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </DataState>
      <Pager {...paging} label="Push log" />
    </>
  );
}
