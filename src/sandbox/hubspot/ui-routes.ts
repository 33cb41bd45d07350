import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type HubspotContext, objectTypeParam, portalOr404 } from './context.ts';
import { HubspotError } from './errors.ts';
import { DEFAULT_DEAL_PIPELINE, OBJECT_TYPES, type ObjectType } from './facts.ts';
import { html, page, type SafeHtml } from './html.ts';
import { createPortal } from './portals.ts';
import { allProperties } from './property-schema.ts';
import type { ChangeSource } from './records.ts';
import type { PortalState, StoredRecord } from './state.ts';

/**
 * A plain web page for people: portals, their records, two edit forms and the webhook
 * delivery log. Edits call the same record service as the API, so they fire the same
 * webhooks (with `changeSource: CRM_UI`).
 */

const COLUMNS: Record<ObjectType, string[]> = {
  contacts: ['email', 'firstname', 'lastname', 'lifecyclestage', 'hs_lead_status'],
  companies: ['name', 'domain', 'lifecyclestage'],
  deals: ['dealname', 'amount', 'dealstage', 'pipeline', 'closedate'],
};
const PAGE_SIZE = 100;

function sendPage(reply: FastifyReply, title: string, body: SafeHtml, statusCode = 200): FastifyReply {
  return reply.code(statusCode).type('text/html; charset=utf-8').send(page(title, body));
}

function rootPath(context: HubspotContext, request: FastifyRequest): string {
  return new URL(context.baseUrl(request)).pathname.replace(/\/+$/, '');
}

function portalNav(root: string, portal: PortalState): SafeHtml {
  return html`<nav><a href="${root}/_ui">All portals</a>${OBJECT_TYPES.map(
    (type) => html`<a href="${root}/_ui/portals/${portal.portalId}?type=${type}">${type}</a>`,
  )}<a href="${root}/_ui/portals/${portal.portalId}/deliveries">Webhook deliveries</a></nav>`;
}

function editForm(root: string, portal: PortalState, type: ObjectType, record: StoredRecord): SafeHtml {
  const action = `${root}/_ui/portals/${portal.portalId}/${type}/${record.id}`;
  if (type === 'deals') {
    return html`<form class="inline" method="post" action="${action}">
      <input type="hidden" name="property" value="dealstage">
      <select name="value" aria-label="Deal stage">${DEFAULT_DEAL_PIPELINE.stages.map(
        (stage) =>
          html`<option value="${stage.id}"${record.properties.dealstage === stage.id ? html` selected` : html``}>${stage.label}</option>`,
      )}</select>
      <button type="submit">Move</button></form>`;
  }
  const names = allProperties(portal, type)
    .filter((definition) => !definition.readOnlyValue)
    .map((definition) => definition.name);
  return html`<form class="inline" method="post" action="${action}">
    <select name="property" aria-label="Property">${names.map((name) => html`<option>${name}</option>`)}</select>
    <input name="value" aria-label="Value" placeholder="new value">
    <button type="submit">Set</button></form>`;
}

/**
 * What a person needs to point a client or refsync at this portal. The secrets (private-app
 * token, client secret) are on the page only right after the portal is created.
 */
function credentials(baseUrl: string, portal: PortalState, withSecrets: boolean): SafeHtml {
  const secret = (value: string) =>
    withSecrets
      ? html`<code>${value}</code>`
      : html`<span class="muted">shown once, when the portal was created</span>`;
  return html`<details${withSecrets ? html` open` : html``}><summary>Credentials</summary><table>
    <tr><th>Base URL</th><td><code>${baseUrl}</code></td></tr>
    <tr><th>Private-app token</th><td>${secret(portal.privateAppToken)}</td></tr>
    <tr><th>App ID</th><td><code>${portal.appId}</code></td></tr>
    <tr><th>OAuth client ID</th><td><code>${portal.clientId}</code></td></tr>
    <tr><th>OAuth client secret</th><td>${secret(portal.clientSecret)}</td></tr>
    <tr><th>Authorize URL</th><td><code>${baseUrl}/oauth/authorize</code></td></tr></table></details>`;
}

export function registerUiRoutes(app: FastifyInstance, context: HubspotContext): void {
  const { keeper, records } = context;

  const portalsPage = async (request: FastifyRequest, reply: FastifyReply) => {
    const root = rootPath(context, request);
    const rows = keeper.state.portals.map(
      (portal) => html`<tr><td><a href="${root}/_ui/portals/${portal.portalId}">${portal.portalId}</a></td>
        <td>${portal.name}</td><td>${Object.keys(portal.records.contacts).length}</td>
        <td>${Object.keys(portal.records.companies).length}</td><td>${Object.keys(portal.records.deals).length}</td>
        <td>${portal.webhooks.targetUrl ?? '(none)'}</td></tr>`,
    );
    return sendPage(
      reply,
      'HubSpot sandbox',
      html`<h1>HubSpot sandbox</h1>
      <p class="muted">Base URL for API clients: <code>${context.baseUrl(request)}</code></p>
      <table><tr><th>Portal</th><th>Name</th><th>Contacts</th><th>Companies</th><th>Deals</th><th>Webhook target</th></tr>
      ${rows}</table>
      <form method="post" action="${root}/_ui/portals"><input name="name" aria-label="Portal name" placeholder="portal name">
      <button type="submit">Create portal</button></form>
      <p class="muted">Or through the admin API: <code>POST ${root}/_admin/portals</code>.</p>`,
    );
  };
  app.get('/', portalsPage);
  app.get('/_ui', portalsPage);

  app.post<{ Body: Record<string, unknown> | undefined }>('/_ui/portals', async (request, reply) => {
    const name = request.body?.name;
    const portal = createPortal(keeper, {
      name: typeof name === 'string' && name.trim() !== '' ? name.trim() : undefined,
    });
    const root = rootPath(context, request);
    return sendPage(
      reply,
      `${portal.name}: created`,
      html`<h1>${portal.name} <span class="muted">(${portal.portalId})</span> created</h1>
      <p>Copy the secrets now: they are not shown again.</p>
      ${credentials(context.baseUrl(request), portal, true)}
      <p><a href="${root}/_ui/portals/${portal.portalId}">Open the portal</a></p>`,
      201,
    );
  });

  app.get<{ Params: { portalId: string }; Querystring: { type?: string } }>(
    '/_ui/portals/:portalId',
    async (request, reply) => {
      const root = rootPath(context, request);
      const portal = portalOr404(keeper, request.params.portalId);
      const type = objectTypeParam(request.query.type ?? 'contacts');
      const columns = COLUMNS[type];
      const live = Object.values(portal.records[type])
        .filter((record) => !record.archived)
        .sort((a, b) => Number(b.id) - Number(a.id));
      const rows = live
        .slice(0, PAGE_SIZE)
        .map(
          (record) =>
            html`<tr><td>${record.id}</td>${columns.map(
              (column) => html`<td>${record.properties[column] ?? ''}</td>`,
            )}<td>${record.updatedAt}</td><td>${editForm(root, portal, type, record)}</td></tr>`,
        );
      return sendPage(
        reply,
        `${portal.name}: ${type}`,
        html`${portalNav(root, portal)}<h1>${portal.name} <span class="muted">(${portal.portalId})</span></h1>
        ${credentials(context.baseUrl(request), portal, false)}
        <h2>${type} <span class="muted">${live.length} live${live.length > PAGE_SIZE ? html`, newest ${PAGE_SIZE} shown` : html``}</span></h2>
        <table><tr><th>ID</th>${columns.map((column) => html`<th>${column}</th>`)}<th>Updated</th><th>Edit</th></tr>${rows}</table>`,
      );
    },
  );

  app.post<{
    Params: { portalId: string; type: string; id: string };
    Body: Record<string, unknown> | undefined;
  }>('/_ui/portals/:portalId/:type/:id', async (request, reply) => {
    const root = rootPath(context, request);
    const portal = portalOr404(keeper, request.params.portalId);
    const type = objectTypeParam(request.params.type);
    const property = request.body?.property;
    const value = request.body?.value;
    if (typeof property !== 'string' || typeof value !== 'string') {
      return sendPage(reply, 'Bad request', html`<p class="error">property and value are required</p>`, 400);
    }
    const source: ChangeSource = { changeSource: 'CRM_UI', sourceId: `userId:${portal.userId}` };
    try {
      const record = records.require(portal, type, request.params.id);
      records.update(portal, type, record, { [property]: value }, source);
    } catch (error) {
      if (!(error instanceof HubspotError)) throw error;
      return sendPage(
        reply,
        'Edit refused',
        html`${portalNav(root, portal)}<h1>Edit refused</h1><p class="error">${error.body.message}</p>`,
        error.statusCode,
      );
    }
    return reply.code(303).header('location', `${root}/_ui/portals/${portal.portalId}?type=${type}`).send();
  });

  app.get<{ Params: { portalId: string } }>('/_ui/portals/:portalId/deliveries', async (request, reply) => {
    const root = rootPath(context, request);
    const portal = portalOr404(keeper, request.params.portalId);
    const rows = [...portal.deliveries].reverse().map(
      (entry) => html`<tr><td>${entry.at}</td><td>${entry.url}</td><td>${entry.attemptNumber}</td>
        <td>${entry.eventIds.length}</td><td>${entry.status ?? ''}</td><td>${entry.error ?? ''}</td>
        <td>${entry.outcome}</td><td>${entry.nextAttemptAt ?? ''}</td></tr>`,
    );
    return sendPage(
      reply,
      `${portal.name}: webhook deliveries`,
      html`${portalNav(root, portal)}<h1>Webhook deliveries</h1>
      <p>Target: <code>${portal.webhooks.targetUrl ?? '(none)'}</code>; ${portal.pendingBatches.length} batch(es) pending,
      ${portal.queuedEvents.length} event(s) queued; subscriptions: ${portal.subscriptions
        .map((one) => `${one.subscriptionType}${one.propertyName === null ? '' : ` (${one.propertyName})`}`)
        .join(', ')}</p>
      <table><tr><th>At</th><th>URL</th><th>Attempt</th><th>Events</th><th>Status</th><th>Error</th><th>Outcome</th><th>Next attempt</th></tr>${rows}</table>`,
    );
  });
}
