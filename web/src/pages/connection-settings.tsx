import { useState } from 'react';
import { api } from '../api.ts';
import { ObjectPicker } from '../components/crm-pickers.tsx';
import { useLoad } from '../components/data.tsx';
import { usePrograms } from '../components/programs.tsx';
import { Notice, useSubmit } from '../components/ui.tsx';
import { Link } from '../router.tsx';
import type { ConnectionView, PushSettingsView, ReceiverSettingsView } from '../types.ts';

interface Wired {
  object: string;
  kind: string;
  detail: string;
}

interface Wiring {
  wired: Wired[];
  unchanged: Wired[];
  message: string;
}

const kindWords: Record<string, string> = {
  outbound_message: 'Outbound message',
  webhook_subscription: 'Webhook',
};

function WiredList(props: { title: string; items: Wired[]; testId: string }) {
  if (props.items.length === 0) return null;
  return (
    <>
      <h3>{props.title}</h3>
      <ul className="plain-list wired-list" data-testid={props.testId}>
        {props.items.map((item) => (
          <li key={`${item.object}:${item.kind}:${item.detail}`}>
            <strong>{item.object === 'app' ? 'The app' : item.object}</strong> ·{' '}
            {kindWords[item.kind] ?? item.kind}: {item.detail}
          </li>
        ))}
      </ul>
    </>
  );
}

/** A connection refsync can wire: the server says so (`sandbox`); older answers, by a `/sandbox/` address. */
export function isSandbox(connection: ConnectionView & { sandbox?: boolean }): boolean {
  if (connection.sandbox !== undefined) return connection.sandbox;
  return URL.canParse(connection.baseUrl) && new URL(connection.baseUrl).pathname.startsWith('/sandbox/');
}

/** For sandbox CRMs: the CRM side set up by refsync itself (outbound message rule, webhook subscriptions). */
export function WireSandbox(props: { connection: ConnectionView; crm: string }) {
  const { connection } = props;
  const [object, setObject] = useState('');
  const [wiring, setWiring] = useState<Wiring | undefined>();
  const submit = useSubmit();
  if (!isSandbox(connection)) {
    return (
      <p className="hint" data-testid="wire-sandbox-real">
        This is a real {props.crm} account: set up its side by hand with the steps below. (refsync's sandbox
        CRMs have a button that does it.)
      </p>
    );
  }
  return (
    <section className="card card-spaced" aria-labelledby="wire-title">
      <h2 id="wire-title">Wire the sandbox</h2>
      <p className="hint">
        This connection is refsync's sandbox {props.crm}: refsync can set up the {props.crm} side for you, so
        changes made in the sandbox's own pages arrive as sales entries.
      </p>
      <ObjectPicker
        label="Object to watch"
        kind="triggerable"
        connectionId={connection.id}
        value={object}
        onChange={setObject}
        placeholder="Every object the status triggers watch"
        hint="Or one object only. Without receiver settings, the CRM's usual objects are wired."
        error={submit.fieldError('object')}
      />
      <div className="button-row">
        <button
          type="button"
          className="button button-primary"
          disabled={submit.busy || connection.status !== 'connected'}
          onClick={() =>
            submit.run(async () => {
              setWiring(undefined);
              setWiring(
                await api.post<Wiring>(
                  `/connections/${connection.id}/sandbox-wiring`,
                  object ? { object } : {},
                ),
              );
            })
          }
        >
          Wire the sandbox
        </button>
      </div>
      <Notice error={submit.error} success={wiring?.message} />
      {wiring ? (
        <>
          <WiredList title="Wired now" items={wiring.wired} testId="wired" />
          <WiredList title="Already in place" items={wiring.unchanged} testId="wired-before" />
        </>
      ) : null}
    </section>
  );
}

/** What uses this connection: push settings and sales receivers, with links to their editors. */
export function ConnectionSettings(props: { connection: ConnectionView; canWrite: boolean }) {
  const { connection } = props;
  const programs = usePrograms();
  const loaded = useLoad(async () => {
    const [push, receivers] = await Promise.all([
      api.get<{ data: PushSettingsView[] }>('/push-settings'),
      api.get<{ data: ReceiverSettingsView[] }>('/receiver-settings', { connectionId: connection.id }),
    ]);
    return { push: push.data.filter((one) => one.connectionId === connection.id), receivers: receivers.data };
  }, connection.id);
  const nameOf = (programId: string) =>
    (programs.state === 'ready' ? programs.data.data.find((one) => one.id === programId)?.name : undefined) ??
    programId;
  return (
    <div className="detail-grid">
      <section className="card" aria-labelledby="push-title">
        <h2 id="push-title">Push into the CRM</h2>
        {loaded.state === 'ready' ? (
          loaded.data.push.length === 0 ? (
            <p className="muted">Nothing is pushed through this connection yet.</p>
          ) : (
            <ul className="plain-list">
              {loaded.data.push.map((one) => (
                <li key={one.id}>
                  <Link href={`/push-settings/${one.id}`}>
                    {nameOf(one.programId)}: {one.subject === 'member' ? 'members' : 'referrals'} →{' '}
                    {one.crmObject}
                  </Link>
                  {one.enabled ? '' : ' (off)'}
                </li>
              ))}
            </ul>
          )
        ) : null}
        {props.canWrite ? (
          <Link className="button" href={`/push-settings/new?connectionId=${connection.id}`}>
            Add push settings
          </Link>
        ) : null}
      </section>
      <section className="card" aria-labelledby="receiver-title">
        <h2 id="receiver-title">Sales receiver</h2>
        {loaded.state === 'ready' ? (
          loaded.data.receivers.length === 0 ? (
            <p className="muted">No program receives events from this connection yet.</p>
          ) : (
            <ul className="plain-list">
              {loaded.data.receivers.map((one) => (
                <li key={one.id}>
                  <Link href={`/receiver-settings/${one.id}`}>
                    {nameOf(one.programId)}: {one.statusTriggers.length} trigger
                    {one.statusTriggers.length === 1 ? '' : 's'}
                  </Link>
                  {one.enabled ? '' : ' (off)'}
                </li>
              ))}
            </ul>
          )
        ) : null}
        {props.canWrite ? (
          <Link className="button" href={`/receiver-settings/new?connectionId=${connection.id}`}>
            Set up the sales receiver
          </Link>
        ) : null}
      </section>
    </div>
  );
}
