import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { newId } from '../core/ids.ts';
import type { Db } from '../db/client.ts';
import { refsyncLink } from '../members/codes.ts';
import { findMemberByCode, type MemberRow, memberWithCode } from '../members/service.ts';
import { findPublicProgram } from '../programs/service.ts';
import { addressHash, countHit, hitsSoFar, isBot, limits, noStore } from './guards.ts';
import { neutralPage } from './html.ts';
import { settingsRow } from './settings.ts';
import { captureClicks } from './tables.ts';

/** Where every link that names nobody goes: the same page for every program. */
export const NEUTRAL_PATH = '/r/-/inactive';

const codePattern = /^[A-Za-z0-9_-]{1,64}$/;

/** The member a link names: `/r/{code}`, or the older `/r/{programId}?ref={code}`. */
async function memberOfLink(db: Db, first: string, ref: string | undefined): Promise<MemberRow | undefined> {
  if (first.startsWith('prg_')) return ref ? findMemberByCode(db, first, ref) : undefined;
  // An older code two programs share names nobody in particular; each program's link still works.
  return memberWithCode(db, first);
}

/** The landing URL with `ref=<code>` added (kept in front of any #fragment). */
export function withCode(landingUrl: string, code: string | undefined): string {
  const url = new URL(landingUrl);
  if (code !== undefined) url.searchParams.set('ref', code);
  return url.toString();
}

/** The link refsync shows a member on its own pages (short unless the code is an older shared one). */
export function linkOf(ctx: AppContext, member: MemberRow): string {
  return refsyncLink(member, ctx.config.publicUrl);
}

/**
 * Where a program's links lead, read beside `alongside` (the click or the miss being
 * counted): its capture landing URL, else its `referralLinkBase`, else the neutral page;
 * undefined when there is no such program.
 */
async function landingOf(ctx: AppContext, programId: string, alongside: Promise<unknown>) {
  const [settings] = await Promise.all([settingsRow(ctx.db, programId), alongside]);
  if (settings?.landingUrl) return settings.landingUrl;
  if (!programId.startsWith('prg_')) return undefined;
  // The program is read only when capture settings name no landing URL.
  const program = await findPublicProgram(ctx.db, programId);
  if (!program) return undefined;
  return program.referralLinkBase ?? `${ctx.config.publicUrl}${NEUTRAL_PATH}`;
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
      const given = typeof request.query.ref === 'string' ? request.query.ref : undefined;
      const ref = given !== undefined && codePattern.test(given) ? given : undefined;
      // What is no code nor program ID is looked up as one that names nobody ('-').
      const valid = codePattern.test(request.params.code);
      const first = valid ? request.params.code : '-';
      const member = await memberOfLink(ctx.db, first, ref);
      const programForm = first.startsWith('prg_');
      // The code goes on as the link gave it, so a hit and a miss leave the same address.
      const code = programForm ? ref : valid ? first : undefined;
      const counted = member
        ? recordClick(ctx, request, member, ipHash)
        : countHit(ctx.db, missBucket, limits.linkMisses);
      // A miss does the same work as a hit (the program's settings read beside one write) and
      // answers the same: `/r/{programId}?ref=X` leads to that program's landing URL with X
      // whether or not X is a member's code; a short code nobody has leads where a program
      // without a landing URL does (see decision 0053). The landing site treats an unknown
      // code as no code.
      const landing = await landingOf(ctx, member?.programId ?? first, counted);
      return redirect(reply, withCode(landing ?? `${ctx.config.publicUrl}${NEUTRAL_PATH}`, code));
    },
  );
};
