import { api } from '../api.ts';
import { BarChart, DayChart } from '../components/chart.tsx';
import { DataState, useLoad } from '../components/data.tsx';
import { usePrograms } from '../components/programs.tsx';
import { Badge, formatDate, PageHeader, SelectField, TableHead, TextField } from '../components/ui.tsx';
import { Link, setQuery, useLocation, useTitle } from '../router.tsx';
import type { DashboardView } from '../types.ts';

const outcomes: Record<string, string> = {
  received: 'Waiting to be processed',
  success: 'Success',
  ignored: 'Ignored',
  review: 'Waiting for review',
  failed: 'Failed',
};

/** click → referral → qualified → won, each with its share of the step before. */
function captureSteps(capture: DashboardView['capture']) {
  const steps = [
    { label: 'Clicks', value: capture.clicks },
    { label: 'Referrals', value: capture.referrals },
    { label: 'Qualified', value: capture.qualified },
    { label: 'Won', value: capture.won },
  ];
  return steps.map((step, i) => {
    const before = steps[i - 1];
    // Referrals also come from the API and CRMs, so they may outnumber clicks: no share then.
    const share =
      before && before.value > 0 && step.value <= before.value
        ? `${Math.round((step.value / before.value) * 100)}% of ${before.label.toLowerCase()}`
        : '';
    return { ...step, share };
  });
}

/** The program's milestones of these kinds, as words: "Demo booked, Qualified or Won". */
function labelsOf(funnel: DashboardView['funnel'], kinds: string[]): string {
  const labels = funnel.filter((step) => kinds.includes(step.kind)).map((step) => step.label);
  if (labels.length === 0) return 'none of its milestones';
  return labels.length === 1 ? (labels[0] ?? '') : `${labels.slice(0, -1).join(', ')} or ${labels.at(-1)}`;
}

export function DashboardPage() {
  useTitle('Dashboard');
  const { query } = useLocation();
  const programId = query.get('programId') ?? '';
  const from = query.get('from') ?? '';
  const to = query.get('to') ?? '';
  const programs = usePrograms();
  const loaded = useLoad(
    () => api.get<DashboardView>('/dashboard', { programId, from, to }),
    `${programId}|${from}|${to}`,
  );
  const programList = programs.state === 'ready' ? programs.data.data : [];
  return (
    <>
      <PageHeader title="Dashboard" subtitle="How referrals move, and whether the CRM loop is healthy." />
      <form className="filters" aria-label="Dashboard period" onSubmit={(event) => event.preventDefault()}>
        <SelectField
          label="Program"
          value={programId || (loaded.state === 'ready' ? (loaded.data.programId ?? '') : '')}
          onChange={(value) => setQuery({ programId: value })}
          options={programList.map((program) => ({ value: program.id, label: program.name }))}
        />
        <TextField
          label="From"
          type="date"
          value={from || (loaded.state === 'ready' ? loaded.data.from : '')}
          onChange={(value) => setQuery({ from: value })}
        />
        <TextField
          label="To"
          type="date"
          value={to || (loaded.state === 'ready' ? loaded.data.to : '')}
          onChange={(value) => setQuery({ to: value })}
        />
      </form>
      <DataState loaded={loaded} what="the dashboard">
        {(data) => (
          <div className="dashboard-grid">
            <section className="card" aria-labelledby="funnel-title">
              <h2 id="funnel-title">Funnel</h2>
              {data.programId === null ? (
                <p className="state state-empty">
                  No program yet. <Link href="/programs/new">Create your first program</Link>.
                </p>
              ) : data.funnel.every((step) => step.reached === 0) ? (
                <p className="state state-empty">No referrals in this period.</p>
              ) : (
                <BarChart
                  title={`Referrals of ${data.from} to ${data.to} that reached each milestone`}
                  unit="Reached"
                  bars={data.funnel.map((step) => ({
                    label: step.label,
                    value: step.reached,
                    note: `${step.current} now`,
                    tone: step.kind,
                  }))}
                />
              )}
            </section>
            {data.programId === null ? null : (
              <section className="card" aria-labelledby="capture-title">
                <h2 id="capture-title">Referral links</h2>
                <ol className="tiles" aria-label={`Link funnel, ${data.from} to ${data.to}`}>
                  {captureSteps(data.capture).map((step) => (
                    <li key={step.label} className="tile">
                      <span className="tile-value">{step.value}</span>
                      <span className="tile-label">{step.label}</span>
                      {step.share ? <span className="tile-label">{step.share}</span> : null}
                    </li>
                  ))}
                </ol>
                <p className="muted">
                  Clicks on members' links in the period, the referrals added in it, and how many of those
                  ever reached {labelsOf(data.funnel, ['qualified', 'approved'])} (qualified) and{' '}
                  {labelsOf(data.funnel, ['approved'])} (won), even if they moved on since.
                </p>
              </section>
            )}
            <section className="card" aria-labelledby="per-day-title">
              <h2 id="per-day-title">Referrals added per day</h2>
              <DayChart title={`Referrals added, ${data.from} to ${data.to}`} days={data.referralsPerDay} />
            </section>
            <section className="card" aria-labelledby="entries-title">
              <h2 id="entries-title">Sales entries by outcome</h2>
              <ul className="tiles">
                {data.salesEntries.map((entry) => (
                  <li key={entry.status} className={`tile tile-${entry.status}`}>
                    <span className="tile-value">{entry.count}</span>
                    <span className="tile-label">{outcomes[entry.status] ?? entry.status}</span>
                  </li>
                ))}
              </ul>
            </section>
            <section className="card" aria-labelledby="connections-title">
              <h2 id="connections-title">Connections</h2>
              {data.connections.length === 0 ? (
                <p className="state state-empty">
                  No CRM connected yet. Connect one through the API (the console's CRM pages come next).
                </p>
              ) : (
                <table className="table">
                  <caption className="visually-hidden">Connection health</caption>
                  <TableHead columns={['Connection', 'Status', 'Last success', 'Last event', 'Last error']} />
                  <tbody>
                    {data.connections.map((connection) => (
                      <tr key={connection.id}>
                        <td>
                          {connection.name} <span className="muted">({connection.provider})</span>
                        </td>
                        <td>
                          <Badge
                            kind={
                              connection.status === 'connected'
                                ? 'approved'
                                : connection.status === 'needs_reauth'
                                  ? 'denied'
                                  : 'pending'
                            }
                          >
                            {connection.status === 'needs_reauth' ? 'needs reconnecting' : connection.status}
                          </Badge>
                        </td>
                        <td>{formatDate(connection.lastSuccessAt)}</td>
                        <td>{formatDate(connection.lastEntryAt)}</td>
                        <td className="wrap">{connection.lastError ?? '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          </div>
        )}
      </DataState>
    </>
  );
}
