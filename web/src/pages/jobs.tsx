import { useState } from 'react';
import { api } from '../api.ts';
import { DataState, useLoad } from '../components/data.tsx';
import { Badge, formatDate, Notice, PageHeader, SelectField, useSubmit } from '../components/ui.tsx';
import { Link, setQuery, useLocation, useTitle } from '../router.tsx';
import { useCanWrite } from '../session.tsx';
import type { JobView } from '../types.ts';

const stateKinds: Record<string, string> = {
  created: 'pending',
  retry: 'qualified',
  active: 'pending',
  completed: 'approved',
  cancelled: 'neutral',
  failed: 'denied',
};

export function JobsPage() {
  useTitle('Jobs');
  const canWrite = useCanWrite();
  const { query } = useLocation();
  const state = query.get('state') ?? 'failed';
  const loaded = useLoad(
    () => api.get<{ data: JobView[] }>('/jobs', { state: state === 'all' ? undefined : state, limit: 100 }),
    state,
  );
  const submit = useSubmit();
  const [done, setDone] = useState<string | undefined>();
  return (
    <>
      <PageHeader
        title="Jobs"
        subtitle="Background work caused by your changes: pushes, sales entries, rewards, webhooks, emails. A failed job keeps its last error."
      />
      <form className="filters" aria-label="Filter jobs" onSubmit={(event) => event.preventDefault()}>
        <SelectField
          label="State"
          value={state}
          onChange={(value) => setQuery({ state: value === 'failed' ? undefined : value })}
          options={[
            { value: 'failed', label: 'Failed' },
            { value: 'retry', label: 'Waiting to retry' },
            { value: 'created', label: 'Waiting' },
            { value: 'active', label: 'Running' },
            { value: 'completed', label: 'Completed' },
            { value: 'all', label: 'Any state' },
          ]}
        />
      </form>
      <Notice error={submit.error} success={done} />
      <DataState
        loaded={loaded}
        what="jobs"
        isEmpty={(page) => page.data.length === 0}
        empty={state === 'failed' ? 'No failed jobs. Everything that ran, worked.' : 'No jobs in this state.'}
      >
        {(page) => (
          <table className="table" data-testid="jobs-table">
            <caption className="visually-hidden">Jobs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">State</th>
                <th scope="col">Queue</th>
                <th scope="col">Event</th>
                <th scope="col">Last error</th>
                <th scope="col">Retries</th>
                <th scope="col">Created</th>
                {canWrite ? <th scope="col">Retry</th> : null}
              </tr>
            </thead>
            <tbody>
              {page.data.map((job) => (
                <tr key={job.id}>
                  <td>
                    <Badge kind={stateKinds[job.state] ?? 'neutral'}>{job.state}</Badge>
                  </td>
                  <td>{job.queue}</td>
                  <td>
                    {job.eventType ?? '—'}
                    {job.subjectId ? <SubjectLink id={job.subjectId} /> : null}
                  </td>
                  <td className="crm-answer">{job.lastError ?? '—'}</td>
                  <td>
                    {job.retryCount} of {job.retryLimit}
                  </td>
                  <td>{formatDate(job.createdAt)}</td>
                  {canWrite ? (
                    <td>
                      {job.state === 'failed' ? (
                        <button
                          type="button"
                          className="button button-small"
                          disabled={submit.busy}
                          aria-label={`Retry job ${job.queue} ${job.id}`}
                          onClick={() =>
                            submit.run(async () => {
                              setDone(undefined);
                              await api.post(`/jobs/${job.id}/retry`, {});
                              setDone(`Job ${job.id} is back in line.`);
                              loaded.reload();
                            })
                          }
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
    </>
  );
}

const subjectPages: Record<string, string> = { sle: 'sales-entries', ref: 'referrals', mem: 'members' };

/** The job's subject: a link to its page when the console has one. */
function SubjectLink(props: { id: string }) {
  const page = subjectPages[props.id.split('_')[0] ?? ''];
  return (
    <span className="muted">
      {' '}
      ({page ? <Link href={`/${page}/${props.id}`}>{props.id}</Link> : props.id})
    </span>
  );
}
