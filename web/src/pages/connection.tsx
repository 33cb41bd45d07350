import { useState } from 'react';
import { api } from '../api.ts';
import { ConnectionAlerts } from '../components/connection-alerts.tsx';
import { DataState, useLoad } from '../components/data.tsx';
import { CopyButton, formatDate, Notice, PageHeader, SelectField, useSubmit } from '../components/ui.tsx';
import { forgetCrmMeta } from '../crm-meta.ts';
import { Link, useLocation, useTitle } from '../router.tsx';
import { useCanWrite } from '../session.tsx';
import type { ConnectionView } from '../types.ts';
import { ConnectionSettings, WireSandbox } from './connection-settings.tsx';
import { ConnectionStatus, providerNames } from './connections.tsx';

type HookUrls = Record<string, string | null>;

/** The objects refsync writes its own fields on, per CRM. */
const fieldObjects: Record<string, string[]> = {
  salesforce: ['Lead', 'Contact', 'Opportunity', 'Account'],
  hubspot: ['contacts', 'deals', 'companies'],
};

export function ConnectionPage(props: { id: string }) {
  const loaded = useLoad(async () => {
    const connection = await api.get<ConnectionView>(`/connections/${props.id}`);
    const hooks = await api.get<HookUrls>(`/connections/${props.id}/hooks`).catch(() => ({}) as HookUrls);
    return { connection, hooks };
  }, props.id);
  return (
    <DataState loaded={loaded} what="the connection">
      {(data) => <ConnectionDetail {...data} onChanged={loaded.reload} />}
    </DataState>
  );
}

function ConnectionDetail(props: { connection: ConnectionView; hooks: HookUrls; onChanged: () => void }) {
  const { connection, hooks } = props;
  useTitle(connection.name);
  const canWrite = useCanWrite();
  const { query } = useLocation();
  const crm = providerNames[connection.provider] ?? connection.provider;
  const reconnect = useSubmit();
  const check = useSubmit();
  const [checked, setChecked] = useState<string | undefined>();
  return (
    <>
      <PageHeader
        title={connection.name}
        subtitle={
          <>
            {crm} account {connection.accountId ?? '(not yet consented)'} ·{' '}
            <ConnectionStatus status={connection.status} />
          </>
        }
        actions={
          <Link className="button" href="/connections">
            All connections
          </Link>
        }
      />
      {query.get('connected') && connection.status === 'connected' ? (
        <Notice
          success={`${crm} is connected: refsync can now write to account ${connection.accountId ?? ''}.`}
        />
      ) : null}
      <ConnectionAlerts connection={connection} label="Needs your attention" />
      <div className="detail-grid">
        <section className="card" aria-labelledby="health-title">
          <h2 id="health-title">Health</h2>
          <dl className="details" data-testid="connection-health">
            {(
              [
                ['Status', <ConnectionStatus key="s" status={connection.status} />],
                ['Last success', formatDate(connection.lastSuccessAt)],
                ['Last error', connection.lastError ?? '—'],
                ['Last error at', formatDate(connection.lastErrorAt)],
                ['Last event received', formatDate(connection.lastEntryAt)],
                [
                  'Last catch-up poll',
                  connection.lastPollAt
                    ? `${formatDate(connection.lastPollAt)}${connection.lastPollFound === null ? '' : `, found ${connection.lastPollFound} missed change${connection.lastPollFound === 1 ? '' : 's'}`}`
                    : '—',
                ],
                ['CRM address', connection.baseUrl],
              ] as const
            ).map(([label, value]) => (
              <div key={label}>
                <dt>{label}</dt>
                <dd className={label === 'Last error' ? 'crm-answer' : undefined}>{value}</dd>
              </div>
            ))}
          </dl>
          {connection.lastPollFound ? (
            <p className="hint">
              The last poll found changes no event had brought: check the CRM side below, events may not be
              arriving.
            </p>
          ) : null}
          {canWrite && connection.status === 'connected' ? (
            <div className="button-row">
              <button
                type="button"
                className="button"
                disabled={check.busy}
                onClick={() =>
                  check.run(async () => {
                    setChecked(undefined);
                    const after = await api.post<ConnectionView>(
                      `/connections/${connection.id}/health-check`,
                    );
                    const missing = after.health.alerts.some((alert) => alert.code.endsWith('_missing'));
                    setChecked(
                      missing ? undefined : `Checked: every field your settings use exists in ${crm}.`,
                    );
                    props.onChanged();
                  })
                }
              >
                Check fields in {crm} now
              </button>
            </div>
          ) : null}
          <Notice error={check.error} success={checked} />
          {canWrite && connection.status !== 'connected' ? (
            <div className="button-row">
              <button
                type="button"
                className="button button-primary"
                disabled={reconnect.busy}
                onClick={() =>
                  reconnect.run(async () => {
                    const { authorizeUrl } = await api.post<{ authorizeUrl: string }>(
                      `/connections/${connection.id}/authorize`,
                    );
                    window.location.assign(authorizeUrl);
                  })
                }
              >
                {connection.status === 'pending' ? `Open ${crm} consent again` : `Reconnect ${crm}`}
              </button>
            </div>
          ) : null}
          <Notice error={reconnect.error} />
        </section>
        {canWrite ? <CreateFields connection={connection} /> : null}
      </div>
      <ConnectionSettings connection={connection} canWrite={canWrite} />
      {canWrite ? <WireSandbox connection={connection} crm={crm} /> : null}
      <HookInstructions connection={connection} hooks={hooks} />
    </>
  );
}

function CreateFields(props: { connection: ConnectionView }) {
  const objects = fieldObjects[props.connection.provider] ?? [];
  const [object, setObject] = useState(objects[0] ?? '');
  const submit = useSubmit();
  const [done, setDone] = useState<string | undefined>();
  return (
    <section className="card" aria-labelledby="fields-title">
      <h2 id="fields-title">refsync's fields in the CRM</h2>
      <p className="hint">
        refsync writes the referral's ID, its source and links back to the console into fields of its own.
        Create them where they are missing; existing ones are left as they are.
      </p>
      <SelectField
        label="CRM object"
        value={object}
        onChange={setObject}
        options={objects.map((value) => ({ value, label: value }))}
        error={submit.fieldError('object')}
      />
      <div className="button-row">
        <button
          type="button"
          className="button button-primary"
          disabled={submit.busy || props.connection.status !== 'connected'}
          onClick={() =>
            submit.run(async () => {
              setDone(undefined);
              const result = await api.post<{ created: string[]; existing: string[] }>(
                `/connections/${props.connection.id}/fields`,
                { object },
              );
              forgetCrmMeta();
              setDone(
                [
                  result.created.length ? `Created on ${object}: ${result.created.join(', ')}.` : '',
                  result.existing.length ? `Already there: ${result.existing.join(', ')}.` : '',
                ]
                  .filter(Boolean)
                  .join(' '),
              );
            })
          }
        >
          Create refsync's fields
        </button>
      </div>
      <Notice error={submit.error} success={done} />
    </section>
  );
}

function UrlRow(props: { label: string; url: string }) {
  return (
    <div className="url-row">
      <code>{props.url}</code>
      <CopyButton text={props.url} label={`Copy the ${props.label}`} />
    </div>
  );
}

/** Where the CRM sends events, and what to set up on its side, step by step. */
function HookInstructions(props: { connection: ConnectionView; hooks: HookUrls }) {
  const { hooks } = props;
  if (props.connection.provider === 'salesforce' && hooks.salesforceOutboundUrl) {
    return (
      <section className="card card-spaced" aria-labelledby="hooks-title">
        <h2 id="hooks-title">Send Salesforce changes to refsync</h2>
        <h3>Outbound message URL</h3>
        <UrlRow label="outbound message URL" url={hooks.salesforceOutboundUrl} />
        <p className="hint">It carries a secret: whoever holds it can send entries for this connection.</p>
        <ol className="steps steps-howto">
          <li>
            In Salesforce Setup, open Process Automation › Flows (or Workflow Rules) and create a rule on the
            object whose changes matter (Lead, Opportunity, Contact or Account), firing when its status field
            changes.
          </li>
          <li>Add an Outbound Message action with the URL above as Endpoint URL.</li>
          <li>
            Fields to send: <code>Id</code>, the status field your triggers read (<code>Status</code>,{' '}
            <code>StageName</code>), <code>Refsync_Referral_Id__c</code>, <code>Email</code>,{' '}
            <code>FirstName</code>, <code>LastName</code>, <code>Company</code> and any field your field
            updates or member match read.
          </li>
          <li>Activate the rule. Each message then appears under Sales entries within seconds.</li>
        </ol>
        {hooks.transitionUrl ? (
          <>
            <h3>Move a referral to one milestone</h3>
            <UrlRow label="transition URL" url={`${hooks.transitionUrl}?status=won`} />
            <p className="hint">
              An outbound message to this URL moves the referral named by <code>Refsync_Referral_Id__c</code>{' '}
              straight to the milestone in <code>status</code> (change <code>won</code> to any milestone
              code).
            </p>
          </>
        ) : null}
      </section>
    );
  }
  if (props.connection.provider === 'hubspot' && hooks.hubspotWebhookUrl) {
    return (
      <section className="card card-spaced" aria-labelledby="hooks-title">
        <h2 id="hooks-title">Send HubSpot changes to refsync</h2>
        <h3>Webhook target URL</h3>
        <UrlRow label="webhook target URL" url={hooks.hubspotWebhookUrl} />
        <ol className="steps steps-howto">
          <li>In your HubSpot developer account, open the app you connected with, then Webhooks.</li>
          <li>Set the target URL above (one URL serves every portal that installed the app).</li>
          <li>
            Create subscriptions: <code>deal.propertyChange</code> on <code>dealstage</code> and{' '}
            <code>contact.propertyChange</code> on <code>lifecyclestage</code>, plus any property your
            triggers read.
          </li>
          <li>Activate them. refsync checks each call's v3 signature with the app's client secret.</li>
        </ol>
      </section>
    );
  }
  return null;
}
