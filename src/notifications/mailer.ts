import { and, eq, lt, or, sql } from 'drizzle-orm';
import { createTransport } from 'nodemailer';
import type { AppContext } from '../context.ts';
import { emails, unsubscribes } from './tables.ts';

type EmailRow = typeof emails.$inferSelect;
type Transport = ReturnType<typeof createTransport>;

/** A claim older than this belonged to a worker that died; the email is tried again. */
const STALE_CLAIM_MS = 5 * 60 * 1000;

const smtpTransports = new WeakMap<AppContext, Transport>();
// Composes the whole message without sending it: what the outbox keeps.
const composer = createTransport({ streamTransport: true, buffer: true, newline: 'unix' });

function smtp(ctx: AppContext, url: string): Transport {
  const existing = smtpTransports.get(ctx);
  if (existing) return existing;
  const transport = createTransport(url);
  smtpTransports.set(ctx, transport);
  return transport;
}

/** The link in `List-Unsubscribe` and in each email: a sealed (workspace, address) pair. */
export function unsubscribeUrl(ctx: AppContext, workspaceId: string, email: string): string {
  const token = ctx.secrets.seal(JSON.stringify({ w: workspaceId, e: email.toLowerCase() }));
  return `${ctx.config.publicUrl}/unsubscribe?token=${encodeURIComponent(token)}`;
}

export async function isUnsubscribed(ctx: AppContext, workspaceId: string, email: string): Promise<boolean> {
  const [row] = await ctx.db
    .select({ email: unsubscribes.email })
    .from(unsubscribes)
    .where(and(eq(unsubscribes.workspaceId, workspaceId), eq(unsubscribes.email, email.toLowerCase())));
  return row !== undefined;
}

function message(ctx: AppContext, row: EmailRow) {
  const unsubscribe = unsubscribeUrl(ctx, row.workspaceId, row.recipient);
  return {
    from: row.fromHeader,
    to: row.recipient,
    subject: row.subject,
    text: row.text,
    html: row.html,
    // The same Message-ID on every try, so a mail server or client can drop a duplicate.
    messageId: `<${row.id}@refsync>`,
    headers: {
      'List-Unsubscribe': `<${unsubscribe}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
  };
}

/**
 * Sends one email unless another run already did. The claim (`sending`) keeps two workers
 * from sending the same row; a claim left by a dead worker is taken over after 5 minutes.
 */
export async function sendEmail(ctx: AppContext, id: string): Promise<void> {
  const [row] = await ctx.db
    .update(emails)
    .set({ status: 'sending', claimedAt: new Date() })
    .where(
      and(
        eq(emails.id, id),
        or(
          eq(emails.status, 'pending'),
          and(eq(emails.status, 'sending'), lt(emails.claimedAt, new Date(Date.now() - STALE_CLAIM_MS))),
        ),
      ),
    )
    .returning();
  if (!row) return;
  const smtpUrl = ctx.config.smtpUrl;
  try {
    if (smtpUrl) {
      await smtp(ctx, smtpUrl).sendMail(message(ctx, row));
      await ctx.db
        .update(emails)
        .set({ status: 'sent', transport: 'smtp', sentAt: new Date(), error: null })
        .where(eq(emails.id, id));
      return;
    }
    const composed = await composer.sendMail(message(ctx, row));
    const raw = Buffer.isBuffer(composed.message)
      ? composed.message.toString('utf8')
      : String(composed.message);
    await ctx.db
      .update(emails)
      .set({ status: 'sent', transport: 'outbox', raw, sentAt: new Date(), error: null })
      .where(eq(emails.id, id));
  } catch (error) {
    await ctx.db
      .update(emails)
      .set({
        status: 'pending',
        claimedAt: null,
        error: error instanceof Error ? error.message : String(error),
      })
      .where(and(eq(emails.id, id), sql`${emails.status} = 'sending'`));
    throw error;
  }
}
