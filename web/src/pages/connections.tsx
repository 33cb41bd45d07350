import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import { ConnectionAlerts } from '../components/connection-alerts.tsx';
import { DataState, useLoad } from '../components/data.tsx';
import {
  Badge,
  formatDate,
  Notice,
  PageHeader,
  SelectField,
  TextField,
  useSubmit,
} from '../components/ui.tsx';
import { Link, useTitle } from '../router.tsx';
import { useCanWrite } from '../session.tsx';
import type { ConnectionView } from '../types.ts';

export const providerNames: Record<string, string> = { salesforce: 'Salesforce', hubspot: 'HubSpot' };

const statusLooks: Record<string, { kind: string; label: string }> = {
  connected: { kind: 'approved', label: 'Connected' },
  pending: { kind: 'pending', label: 'Waiting for consent' },
  needs_reauth: { kind: 'denied', label: 'Needs reconnecting' },
};

export function ConnectionStatus(props: { status: string }) {
  const look = statusLooks[props.status] ?? { kind: 'neutral', label: props.status };
  return <Badge kind={look.kind}>{look.label}</Badge>;
}

export function ConnectionsPage() {
  useTitle('Connections');
  const canWrite = useCanWrite();
  const loaded = useLoad(() => api.get<{ data: ConnectionView[] }>('/connections'), 'connections');
  return (
    <>
      <PageHeader
        title="Connections"
        subtitle="The CRM accounts refsync writes referrals into and receives sales events from."
      />
      <DataState
        loaded={loaded}
        what="connections"
        isEmpty={(page) => page.data.length === 0}
        empty="No CRM connected yet. Connect Salesforce or HubSpot below."
      >
        {(page) => (
          <>
            {page.data.map((connection) => (
              <ConnectionAlerts
                key={connection.id}
                connection={connection}
                label={`${connection.name} needs your attention`}
                href={`/connections/${connection.id}`}
              />
            ))}
            <table className="table" data-testid="connections-table">
              <caption className="visually-hidden">Connections</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">CRM</th>
                  <th scope="col">Status</th>
                  <th scope="col">Alerts</th>
                  <th scope="col">Last success</th>
                  <th scope="col">Last event received</th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {page.data.map((connection) => (
                  <tr key={connection.id}>
                    <td>
                      <Link href={`/connections/${connection.id}`}>{connection.name}</Link>
                    </td>
                    <td>{providerNames[connection.provider] ?? connection.provider}</td>
                    <td>
                      <ConnectionStatus status={connection.status} />
                    </td>
                    <td>
                      {connection.health.alerts.length === 0 ? (
                        'None'
                      ) : (
                        <Badge kind="denied">
                          {connection.health.alerts.length} alert
                          {connection.health.alerts.length === 1 ? '' : 's'}
                        </Badge>
                      )}
                    </td>
                    <td>{formatDate(connection.lastSuccessAt)}</td>
                    <td>{formatDate(connection.lastEntryAt)}</td>
                    <td className="crm-answer">{connection.lastError ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </DataState>
      {canWrite ? <ConnectForm /> : null}
    </>
  );
}

/** Stores the CRM app's credentials, then opens the CRM's consent page; it sends the person back here. */
function ConnectForm() {
  const submit = useSubmit();
  const [provider, setProvider] = useState('salesforce');
  const [name, setName] = useState('');
  const [clientId, setClientId] = useState('');
  const [clientSecret, setClientSecret] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const sandboxUrl = `${window.location.origin}/sandbox/${provider}`;
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit.run(async () => {
      const created = await api.post<{ connection: ConnectionView; authorizeUrl: string }>('/connections', {
        provider,
        clientId,
        clientSecret,
        ...(name.trim() ? { name } : {}),
        ...(baseUrl.trim() ? { baseUrl: baseUrl.trim() } : {}),
      });
      window.location.assign(created.authorizeUrl);
    });
  };
  return (
    <section className="card card-spaced" aria-labelledby="connect-title">
      <h2 id="connect-title">Connect a CRM</h2>
      <p className="hint">
        Create a connected app (Salesforce) or a public app (HubSpot) whose callback URL is{' '}
        <code>{window.location.origin}/oauth/callback</code>, and enter its client ID and secret. The CRM then
        asks you to allow access and sends you back here.
      </p>
      <form className="form" onSubmit={onSubmit} aria-label="Connect a CRM">
        <SelectField
          label="CRM"
          value={provider}
          onChange={setProvider}
          error={submit.fieldError('provider')}
          options={Object.entries(providerNames).map(([value, label]) => ({ value, label }))}
        />
        <TextField
          label="Name (optional)"
          value={name}
          onChange={setName}
          error={submit.fieldError('name')}
        />
        <TextField
          label="Client ID"
          value={clientId}
          onChange={setClientId}
          required
          error={submit.fieldError('clientId')}
        />
        <TextField
          label="Client secret"
          type="password"
          value={clientSecret}
          onChange={setClientSecret}
          required
          autoComplete="off"
          error={submit.fieldError('clientSecret')}
        />
        <TextField
          label="CRM address (optional)"
          value={baseUrl}
          onChange={setBaseUrl}
          placeholder={provider === 'salesforce' ? 'https://login.salesforce.com' : 'https://api.hubapi.com'}
          hint={
            <>
              Empty for the real service. A Salesforce sandbox org: https://test.salesforce.com. This server's
              sandbox CRM: <code>{sandboxUrl}</code>{' '}
              <button type="button" className="button button-small" onClick={() => setBaseUrl(sandboxUrl)}>
                Use the sandbox
              </button>
            </>
          }
          error={submit.fieldError('baseUrl')}
        />
        <div className="button-row">
          <button type="submit" className="button button-primary" disabled={submit.busy}>
            Connect {providerNames[provider]}
          </button>
        </div>
        <Notice error={submit.error} />
      </form>
    </section>
  );
}
