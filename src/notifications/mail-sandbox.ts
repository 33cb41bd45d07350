import { and, desc, eq, lt } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.ts';
import { emails } from './tables.ts';
import { escapeHtml } from './templates.ts';

export const MAIL_SANDBOX_PREFIX = '/sandbox/mail';

/** Nothing in an email may run scripts, load anything or reach refsync with the viewer's cookies. */
const lockedDown = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

/**
 * The outbox as web pages: every email refsync wrote while no SMTP server was configured.
 * Mounted only where the sandbox CRMs are (same rules), since it shows every workspace's mail.
 */
export const mailSandbox: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  const outbox = eq(emails.transport, 'outbox');

  app.get<{ Querystring: { before?: string } }>('/', { schema: { hide: true } }, async (request, reply) => {
    const rows = await ctx.db
      .select()
      .from(emails)
      .where(request.query.before ? and(outbox, lt(emails.id, request.query.before)) : outbox)
      .orderBy(desc(emails.id))
      .limit(100);
    const items = rows
      .map(
        (row) =>
          `<tr><td>${escapeHtml(row.sentAt?.toISOString() ?? '')}</td><td>${escapeHtml(row.recipient)}</td>` +
          `<td><a href="${MAIL_SANDBOX_PREFIX}/${row.id}">${escapeHtml(row.subject)}</a></td>` +
          `<td><a href="${MAIL_SANDBOX_PREFIX}/${row.id}/raw">source</a></td></tr>`,
      )
      .join('');
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(
        `<!doctype html><html><head><meta charset="utf-8"><title>Mail sandbox</title></head><body style="font-family:sans-serif">` +
          `<h1>Mail sandbox</h1><p>Emails refsync sent while no SMTP server was set (REFSYNC_SMTP_URL), newest first.</p>` +
          `<table><tr><th>sent</th><th>to</th><th>subject</th><th></th></tr>${items}</table></body></html>`,
      );
  });

  app.get('/messages', { schema: { hide: true } }, async () => {
    const rows = await ctx.db.select().from(emails).where(outbox).orderBy(desc(emails.id)).limit(100);
    return {
      data: rows.map((row) => ({
        id: row.id,
        to: row.recipient,
        from: row.fromHeader,
        subject: row.subject,
        text: row.text,
        template: row.template,
        sentAt: row.sentAt?.toISOString() ?? null,
      })),
    };
  });

  const find = async (id: string) => {
    const [row] = await ctx.db
      .select()
      .from(emails)
      .where(and(eq(emails.id, id), outbox));
    return row;
  };

  app.get<{ Params: { id: string } }>('/:id', { schema: { hide: true } }, async (request, reply) => {
    const row = await find(request.params.id);
    if (!row) return reply.code(404).type('text/plain').send('no such email');
    // The email's HTML is shown as the mail client would, but in a sandbox with no script or network.
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', lockedDown)
      .send(row.html);
  });

  app.get<{ Params: { id: string } }>('/:id/raw', { schema: { hide: true } }, async (request, reply) => {
    const row = await find(request.params.id);
    if (!row) return reply.code(404).type('text/plain').send('no such email');
    return reply
      .type('text/plain; charset=utf-8')
      .header('content-security-policy', "default-src 'none'")
      .send(row.raw ?? '');
  });
};
