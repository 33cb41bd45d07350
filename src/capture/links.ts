import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { newId } from '../core/ids.ts';
import type { Db } from '../db/client.ts';
import { findMemberByCode, type MemberRow, membersWithCode } from '../members/service.ts';
import { findProgram } from '../programs/service.ts';
import { addressHash, countHit, hitsSoFar, isBot, limits, noStore } from './guards.ts';
import { neutralPage } from './html.ts';
import { settingsRow } from './settings.ts';
import { captureClicks } from './tables.ts';

/** Where every link that names nobody goes: the same page for every program. */
export const NEUTRAL_PATH = '/r/-/inactive';

const codePattern = /^[A-Za-z0-9_-]{1,64}$/;

/** The member a link names: `/r/{code}`, or the older `/r/{programId}?ref={code}`. */
async function memberOfLink(db: Db, first: string, ref: string | undefined): Promise<MemberRow | undefined> {
  if (first.startsWith('prg_')) {
    if (!ref || !codePattern.test(ref)) return undefined;
    return findMemberByCode(db, first, ref);
  }
  if (!codePattern.test(first)) return undefined;
  // A code two programs share names nobody in particular; the program's own link still works.
  const found = await membersWithCode(db, first, 2);
  return found.length === 1 ? found[0] : undefined;
}

/** The landing URL with `ref=<code>` added (kept in front of any #fragment). */
export function withCode(landingUrl: string, code: string): string {
  const url = new URL(landingUrl);
  url.searchParams.set('ref', code);
  return url.toString();
}

export function shortLink(publicUrl: string, code: string): string {
  return `${publicUrl}/r/${encodeURIComponent(code)}`;
}

/**
 * The link refsync gives a member on its own pages: the short `/r/{code}` when that code names
 * only them across the install, else the program's `/r/{programId}?ref={code}`.
 */
export async function linkOf(ctx: AppContext, member: MemberRow): Promise<string> {
  const sharing = await membersWithCode(ctx.db, member.referralCode, 2);
  if (sharing.length === 1) return shortLink(ctx.config.publicUrl, member.referralCode);
  return `${ctx.config.publicUrl}/r/${member.programId}?ref=${encodeURIComponent(member.referralCode)}`;
}

async function recordClick(
  ctx: AppContext,
  request: FastifyRequest,
  member: MemberRow,
  ipHash: string,
): Promise<void> {
  const userAgent = request.headers['user-agent'];
  if (isBot(userAgent)) return;
  const referrer = request.headers.referer;
  await ctx.db.insert(captureClicks).values({
    id: newId('click'),
    workspaceId: member.workspaceId,
    programId: member.programId,
    memberId: member.id,
    ipHash,
    userAgent: userAgent?.slice(0, 500) ?? null,
    referrer: referrer?.slice(0, 1000) ?? null,
  });
}

function redirect(reply: FastifyReply, location: string): FastifyReply {
  return noStore(reply).header('referrer-policy', 'no-referrer').redirect(location, 302);
}

export const linkRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get(NEUTRAL_PATH, { schema: { hide: true } }, async (_request, reply) =>
    noStore(reply).type('text/html; charset=utf-8').send(neutralPage()),
  );

  app.get<{ Params: { code: string }; Querystring: { ref?: string } }>(
    '/r/:code',
    { schema: { hide: true } },
    async (request, reply) => {
      const ipHash = addressHash(ctx, request);
      const missBucket = `link-miss:${ipHash}`;
      // An address that guessed wrong too often gets 429 for every link, known or not.
      if ((await hitsSoFar(ctx.db, missBucket, limits.linkMisses)) >= limits.linkMisses.max) {
        return noStore(reply)
          .code(429)
          .header('retry-after', String(limits.linkMisses.windowSeconds))
          .type('text/plain; charset=utf-8')
          .send('Too many requests; try again later.');
      }
      const ref = typeof request.query.ref === 'string' ? request.query.ref : undefined;
      const member = await memberOfLink(ctx.db, request.params.code, ref);
      if (!member) {
        // The same work as a hit (a settings read beside a write) and the same status, so
        // neither the answer nor its timing tells a guesser more than the destination.
        await Promise.all([
          settingsRow(ctx.db, request.params.code),
          countHit(ctx.db, missBucket, limits.linkMisses),
        ]);
        return redirect(reply, `${ctx.config.publicUrl}${NEUTRAL_PATH}`);
      }
      const [settings] = await Promise.all([
        settingsRow(ctx.db, member.programId),
        recordClick(ctx, request, member, ipHash),
      ]);
      // The program is read only when capture settings name no landing URL.
      const program = settings?.landingUrl
        ? undefined
        : await findProgram(ctx.db, member.workspaceId, member.programId);
      const landing =
        settings?.landingUrl ?? program?.referralLinkBase ?? `${ctx.config.publicUrl}${NEUTRAL_PATH}`;
      return redirect(reply, withCode(landing, member.referralCode));
    },
  );
};
