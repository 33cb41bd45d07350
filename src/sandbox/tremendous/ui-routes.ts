import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { html, page, type SafeHtml } from '../hubspot/html.ts';
import { type TremendousContext, toAmount } from './context.ts';
import { findProduct } from './products.ts';
import type { OrganizationState } from './state.ts';

/**
 * A read-only web page for people: organizations, what each funding source can still pay,
 * and every order (who was paid what, newest first). Keys are never shown, only their last
 * four characters.
 */

function send(reply: FastifyReply, title: string, body: SafeHtml, statusCode = 200): FastifyReply {
  return reply.code(statusCode).type('text/html; charset=utf-8').send(page(title, body));
}

function rootPath(context: TremendousContext, request: FastifyRequest): string {
  return new URL(context.baseUrl(request)).pathname.replace(/\/+$/, '');
}

const money = (amount: number, currency: string) => `${amount.toFixed(2)} ${currency}`;

function organizationPage(root: string, organization: OrganizationState): SafeHtml {
  const orders = [...organization.orders].reverse();
  return html`<nav><a href="${root}/_ui">All organizations</a></nav>
    <h1>${organization.name} <small class="muted">${organization.id}</small></h1>
    <p>Keys: ${organization.keys.map((key) => html`<code>TEST_…${key.last4}</code>${key.revoked ? html` <span class="error">(revoked)</span>` : html``} `)}</p>
    <h2>Funding sources</h2>
    <table><thead><tr><th>ID</th><th>Method</th><th>Available</th></tr></thead><tbody>${organization.fundingSources.map(
      (source) => html`<tr><td><code>${source.id}</code></td><td>${source.method}</td>
        <td>${money(toAmount(source.availableCents), organization.currency)}</td></tr>`,
    )}</tbody></table>
    <h2>Orders (${orders.length})</h2>
    <table><thead><tr><th>Order</th><th>External ID</th><th>Reward</th><th>Recipient</th><th>Value</th><th>Product</th><th>Delivery</th><th>Paid from</th><th>Created</th></tr></thead><tbody>${orders.map(
      ({ order, fundingSourceId, products }) =>
        html`${order.rewards.map(
          (
            reward,
          ) => html`<tr id="${reward.id}"><td><code>${order.id}</code></td><td>${order.external_id ?? ''}</td><td><code>${reward.id}</code></td>
            <td>${reward.recipient.name ?? ''} ${reward.recipient.email ?? reward.recipient.phone ?? ''}</td>
            <td>${money(reward.value.denomination, reward.value.currency_code)}</td>
            <td>${products.map((id) => findProduct(id)?.name ?? id).join(', ')}</td>
            <td>${reward.delivery.method} ${reward.delivery.status}</td><td><code>${fundingSourceId}</code></td><td>${order.created_at}</td></tr>`,
        )}`,
    )}</tbody></table>`;
}

export function registerUiRoutes(app: FastifyInstance, context: TremendousContext): void {
  const { keeper } = context;

  app.get('/_ui', async (request, reply) => {
    const root = rootPath(context, request);
    const rows = keeper.state.organizations.map(
      (
        organization,
      ) => html`<tr><td><a href="${root}/_ui/organizations/${organization.id}">${organization.id}</a></td>
        <td>${organization.name}</td><td>${organization.orders.length}</td>
        <td>${organization.fundingSources.map((source) => html`<div>${source.method}: ${money(toAmount(source.availableCents), organization.currency)}</div>`)}</td></tr>`,
    );
    return send(
      reply,
      'Tremendous sandbox',
      html`<h1>Tremendous sandbox</h1>
        <p class="muted">Point the official client's <code>basePath</code> at <code>${context.baseUrl(request)}/api/v2</code>; organizations are made with <code>POST ${root}/_admin/organizations</code>.</p>
        <table><thead><tr><th>Organization</th><th>Name</th><th>Orders</th><th>Funding</th></tr></thead><tbody>${rows}</tbody></table>`,
    );
  });

  app.get<{ Params: { organizationId: string } }>(
    '/_ui/organizations/:organizationId',
    async (request, reply) => {
      const root = rootPath(context, request);
      const organization = keeper.state.organizations.find(
        (candidate) => candidate.id === request.params.organizationId,
      );
      if (organization === undefined) {
        return send(
          reply,
          'Not found',
          html`<p class="error">No organization ${request.params.organizationId}.</p>`,
          404,
        );
      }
      return send(reply, `${organization.name} — Tremendous sandbox`, organizationPage(root, organization));
    },
  );
}
