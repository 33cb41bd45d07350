import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { html, page, type SafeHtml } from '../hubspot/html.ts';
import type { StripeContext } from './context.ts';
import type { AccountState } from './state.ts';

/**
 * A read-only web page for people: accounts, their customers with balances, and every
 * balance transaction (what was paid, newest first). Keys are never shown, only their
 * last four characters.
 */

const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);

/** Minor units as a person reads them: -2500 usd → "-25.00 USD". */
export function formatMinor(amount: number, currency: string | null): string {
  if (currency === null) return String(amount);
  const digits = ZERO_DECIMAL.has(currency) ? 0 : 2;
  return `${(amount / 10 ** digits).toFixed(digits)} ${currency.toUpperCase()}`;
}

const when = (seconds: number) => new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19);

function send(reply: FastifyReply, title: string, body: SafeHtml, statusCode = 200): FastifyReply {
  return reply.code(statusCode).type('text/html; charset=utf-8').send(page(title, body));
}

function rootPath(context: StripeContext, request: FastifyRequest): string {
  return new URL(context.baseUrl(request)).pathname.replace(/\/+$/, '');
}

function accountPage(root: string, account: AccountState): SafeHtml {
  const customers = Object.values(account.customers).reverse();
  const transactions = Object.values(account.balanceTransactions)
    .flat()
    .sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1));
  return html`<nav><a href="${root}/_ui">All accounts</a></nav>
    <h1>${account.name} <small class="muted">${account.id}</small></h1>
    <p>Keys: ${account.keys.map((key) => html`<code>sk_test_…${key.last4}</code>${key.revoked ? html` <span class="error">(revoked)</span>` : html``} `)}</p>
    <h2>Customers (${customers.length})</h2>
    <table><thead><tr><th>ID</th><th>Email</th><th>Name</th><th>Balance</th><th>Created</th></tr></thead><tbody>${customers.map(
      (
        customer,
      ) => html`<tr><td><code>${customer.id}</code></td><td>${customer.email ?? ''}</td><td>${customer.name ?? ''}</td>
        <td>${formatMinor(customer.balance, customer.currency)}</td><td>${when(customer.created)}</td></tr>`,
    )}</tbody></table>
    <h2>Balance transactions (${transactions.length})</h2>
    <table><thead><tr><th>ID</th><th>Customer</th><th>Amount</th><th>Ending balance</th><th>Description</th><th>Metadata</th><th>Created</th></tr></thead><tbody>${transactions.map(
      (
        transaction,
      ) => html`<tr><td><code>${transaction.id}</code></td><td><code>${transaction.customer}</code></td>
        <td>${formatMinor(transaction.amount, transaction.currency)}</td><td>${formatMinor(transaction.ending_balance, transaction.currency)}</td>
        <td>${transaction.description ?? ''}</td><td>${Object.entries(transaction.metadata).map(([key, value]) => html`<div><code>${key}</code>: ${value}</div>`)}</td>
        <td>${when(transaction.created)}</td></tr>`,
    )}</tbody></table>`;
}

export function registerUiRoutes(app: FastifyInstance, context: StripeContext): void {
  const { keeper } = context;

  app.get('/_ui', async (request, reply) => {
    const root = rootPath(context, request);
    const rows = keeper.state.accounts.map(
      (
        account,
      ) => html`<tr><td><a href="${root}/_ui/accounts/${account.id}">${account.id}</a></td><td>${account.name}</td>
        <td>${Object.keys(account.customers).length}</td>
        <td>${Object.values(account.balanceTransactions).reduce((sum, list) => sum + list.length, 0)}</td></tr>`,
    );
    return send(
      reply,
      'Stripe sandbox',
      html`<h1>Stripe sandbox</h1>
        <p class="muted">Point the official client at <code>host</code>/<code>port</code>/<code>protocol</code> of this server; accounts are made with <code>POST ${root}/_admin/accounts</code>.</p>
        <table><thead><tr><th>Account</th><th>Name</th><th>Customers</th><th>Balance transactions</th></tr></thead><tbody>${rows}</tbody></table>`,
    );
  });

  app.get<{ Params: { accountId: string } }>('/_ui/accounts/:accountId', async (request, reply) => {
    const root = rootPath(context, request);
    const account = keeper.state.accounts.find((candidate) => candidate.id === request.params.accountId);
    if (account === undefined) {
      return send(
        reply,
        'Not found',
        html`<p class="error">No account ${request.params.accountId}.</p>`,
        404,
      );
    }
    return send(reply, `${account.name} — Stripe sandbox`, accountPage(root, account));
  });
}
