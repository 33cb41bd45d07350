import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { convertLead } from './convert.ts';
import { type DmlContext, updateRecord } from './dml.ts';
import { SfError, sfErrors } from './errors.ts';
import { outageError } from './guard.ts';
import { html, page, type SafeHtml } from './html.ts';
import type { OrgRegistry } from './org-registry.ts';
import { LEAD_STATUSES, OPPORTUNITY_STAGES } from './standard-objects.ts';
import type { OrgState, SfRecord } from './state.ts';

export interface WebDeps {
  registry: OrgRegistry;
}

/** Columns shown per object, in order. */
const COLUMNS: Record<string, string[]> = {
  Lead: ['Name', 'Company', 'Email', 'Status', 'IsConverted', 'LastModifiedDate'],
  Contact: ['Name', 'Email', 'AccountId', 'LastModifiedDate'],
  Account: ['Name', 'Website', 'LastModifiedDate'],
  Opportunity: ['Name', 'StageName', 'Amount', 'CloseDate', 'IsWon', 'LastModifiedDate'],
};
const TABS = Object.keys(COLUMNS);
const PAGE_SIZE = 200;

type Form = Record<string, string | undefined>;

function uiContext(org: OrgState): DmlContext {
  // Edits from the page act like a user saving in the UI: duplicate rules alert only.
  return { org, now: Date.now(), version: '62.0', allowDuplicates: true };
}

function orgNav(base: string, org: OrgState): SafeHtml {
  return html`<nav><a href="${base}/_ui">All orgs</a>${TABS.map(
    (tab) => html`<a href="${base}/_ui/orgs/${org.orgId}?object=${tab}">${tab}s</a>`,
  )}<a href="${base}/_ui/orgs/${org.orgId}/deliveries">Outbound deliveries</a></nav>`;
}

function select(name: string, values: readonly string[], current: unknown): SafeHtml {
  return html`<select name="${name}">${values.map(
    (v) => html`<option value="${v}"${v === current ? html` selected` : html``}>${v}</option>`,
  )}</select>`;
}

function actions(base: string, org: OrgState, object: string, record: SfRecord): SafeHtml {
  const id = String(record.Id);
  if (object === 'Lead' && record.IsConverted !== true) {
    return html`<form class="inline" method="post" action="${base}/_ui/orgs/${org.orgId}/leads/${id}/status">
${select(
  'Status',
  LEAD_STATUSES.filter((s) => !s.converted).map((s) => s.value),
  record.Status,
)}
<button type="submit">Set status</button></form>
<form class="inline" method="post" action="${base}/_ui/orgs/${org.orgId}/leads/${id}/convert">
<label><input type="checkbox" name="doNotCreateOpportunity" value="true"> no opportunity</label>
<button type="submit">Convert</button></form>`;
  }
  if (object === 'Opportunity') {
    return html`<form class="inline" method="post" action="${base}/_ui/orgs/${org.orgId}/opportunities/${id}/stage">
${select(
  'StageName',
  OPPORTUNITY_STAGES.map((s) => s.value),
  record.StageName,
)}
<button type="submit">Set stage</button></form>`;
  }
  return html``;
}

function recordsPage(base: string, org: OrgState, object: string): string {
  const columns = COLUMNS[object] ?? [];
  const rows = Object.values(org.records[object] ?? {})
    .filter((r) => r.IsDeleted !== true)
    .sort((a, b) => String(b.LastModifiedDate).localeCompare(String(a.LastModifiedDate)))
    .slice(0, PAGE_SIZE);
  return page(
    `${org.name} · ${object}s`,
    html`<h1>${org.name} <small><code>${org.orgId}</code></small></h1>${orgNav(base, org)}
<h2>${object}s (${rows.length})</h2>
<table><tr><th>Id</th>${columns.map((c) => html`<th>${c}</th>`)}<th>Actions</th></tr>
${rows.map(
  (r) =>
    html`<tr><td><code>${r.Id}</code></td>${columns.map((c) => html`<td>${r[c] ?? ''}</td>`)}<td>${actions(base, org, object, r)}</td></tr>`,
)}</table>`,
  );
}

function deliveriesPage(base: string, org: OrgState): string {
  const { rules, queue, log } = org.outbound;
  return page(
    `${org.name} · outbound deliveries`,
    html`<h1>${org.name}</h1>${orgNav(base, org)}
<h2>Outbound message rules</h2>
<table><tr><th>ActionId</th><th>Name</th><th>Object</th><th>Condition</th><th>Fields</th><th>Endpoint</th><th>Active</th></tr>
${rules.map(
  (r) =>
    html`<tr><td><code>${r.id}</code></td><td>${r.name}</td><td>${r.object}</td><td>${JSON.stringify(r.condition)}</td><td>${r.fields.join(', ')}</td><td>${r.endpointUrl}</td><td>${r.active}</td></tr>`,
)}</table>
<h2>Queued (${queue.length})</h2>
<table><tr><th>Notification</th><th>Record</th><th>Attempts</th><th>Next attempt</th></tr>
${queue.map(
  (n) =>
    html`<tr><td><code>${n.id}</code></td><td><code>${n.recordId}</code></td><td>${n.attempts}</td><td>${new Date(n.nextAttemptAt).toISOString()}</td></tr>`,
)}</table>
<h2>Delivery log (latest first)</h2>
<table><tr><th>At</th><th>Outcome</th><th>Attempt</th><th>HTTP</th><th>Notifications</th><th>Endpoint</th><th>Error</th></tr>
${[...log]
  .reverse()
  .slice(0, 500)
  .map(
    (e) =>
      html`<tr><td>${e.at}</td><td class="${e.outcome === 'acked' ? 'ok' : 'bad'}">${e.outcome}${e.duplicate ? ' (duplicate)' : ''}</td><td>${e.attempt}</td><td>${e.httpStatus ?? ''}</td><td>${e.notificationIds.join(', ')}</td><td>${e.endpointUrl}</td><td>${e.error ?? ''}</td></tr>`,
  )}</table>`,
  );
}

/**
 * A plain server-rendered page for people: list orgs and records, change a lead's status,
 * convert a lead, set an opportunity's stage. Edits use the same write path as the API,
 * so they fire the same outbound messages.
 */
export function registerWebUi(app: FastifyInstance, deps: WebDeps): void {
  const { registry } = deps;
  const prefix = app.prefix;
  const orgOf = (request: FastifyRequest): OrgState => {
    const org = registry.get((request.params as { orgId: string }).orgId);
    if (!org) throw sfErrors.notFound();
    // An org in outage is down for people too; only the admin API stays up.
    const outage = outageError(org, Date.now());
    if (outage) throw outage;
    return org;
  };
  const sendPage = (reply: FastifyReply, body: string, status = 200) =>
    reply.code(status).type('text/html; charset=utf-8').send(body);

  const home = async (_request: FastifyRequest, reply: FastifyReply) =>
    sendPage(
      reply,
      page(
        'Salesforce sandbox',
        html`<h1>Salesforce sandbox</h1>
<p>Orgs are created through <code>POST ${prefix}/_admin/orgs</code>.</p>
<table><tr><th>Org</th><th>Id</th><th>Username</th><th>Leads</th><th>Opportunities</th></tr>
${registry
  .list()
  .map(
    (org) =>
      html`<tr><td><a href="${prefix}/_ui/orgs/${org.orgId}?object=Lead">${org.name}</a></td><td><code>${org.orgId}</code></td><td>${org.username}</td><td>${Object.keys(org.records.Lead ?? {}).length}</td><td>${Object.keys(org.records.Opportunity ?? {}).length}</td></tr>`,
  )}</table>`,
      ),
    );
  app.get('/', home);
  app.get('/_ui', home);

  app.get('/_ui/orgs/:orgId', async (request, reply) => {
    const org = orgOf(request);
    const wanted = (request.query as Form).object ?? 'Lead';
    const object = TABS.includes(wanted) ? wanted : 'Lead';
    return sendPage(reply, recordsPage(prefix, org, object));
  });

  app.get('/_ui/orgs/:orgId/deliveries', async (request, reply) =>
    sendPage(reply, deliveriesPage(prefix, orgOf(request))),
  );

  const edit =
    (object: string, apply: (org: OrgState, id: string, form: Form) => void) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const org = orgOf(request);
      const { id } = request.params as { id: string };
      const form = (request.body ?? {}) as Form;
      try {
        apply(org, id, form);
      } catch (error) {
        if (!(error instanceof SfError)) throw error;
        return sendPage(
          reply,
          page(
            'Not saved',
            html`<h1>Not saved</h1><p><code>${error.errorCode}</code>: ${error.message}</p>
<p><a href="${prefix}/_ui/orgs/${org.orgId}?object=${object}">Back</a></p>`,
          ),
          error.status >= 400 && error.status < 600 ? error.status : 400,
        );
      }
      registry.changed();
      return reply.redirect(`${prefix}/_ui/orgs/${org.orgId}?object=${object}`, 303);
    };

  app.post(
    '/_ui/orgs/:orgId/leads/:id/status',
    edit('Lead', (org, id, form) => updateRecord(uiContext(org), 'Lead', id, { Status: form.Status })),
  );
  app.post(
    '/_ui/orgs/:orgId/leads/:id/convert',
    edit('Lead', (org, id, form) => {
      convertLead(uiContext(org), id, { doNotCreateOpportunity: form.doNotCreateOpportunity === 'true' });
    }),
  );
  app.post(
    '/_ui/orgs/:orgId/opportunities/:id/stage',
    edit('Opportunity', (org, id, form) =>
      updateRecord(uiContext(org), 'Opportunity', id, { StageName: form.StageName }),
    ),
  );
}
