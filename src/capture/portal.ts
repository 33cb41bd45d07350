import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { decodeCursor } from '../core/pagination.ts';
import type { MemberRow } from '../members/service.ts';
import { milestoneKindOf } from '../referrals/milestone-rules.ts';
import { listReferrals, referralHistory } from '../referrals/service.ts';
import { listRewards, memberBalance } from '../rewards/query-service.ts';
import { addressHash, countHit, limits } from './guards.ts';
import { errorSummary, esc, field, page, sendPage } from './html.ts';
import { linkOf } from './links.ts';
import {
  consumeLink,
  endSession,
  requestSignIn,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  sessionMember,
} from './portal-service.ts';
import { fieldErrors, pageEmail, pageText } from './prospect.ts';
import {
  acceptForms,
  cookieOf,
  formBody,
  linkCard,
  messagePage,
  notFoundPage,
  type PublicProgram,
  publicProgram,
  SHARE_SCRIPT,
} from './public-pages.ts';
import { funnel } from './stats.ts';

const signInForm = z.object({ email: pageText(254).min(1, 'enter your email').pipe(pageEmail) });

function signInPage(
  pub: PublicProgram,
  values: Record<string, string>,
  errors: Record<string, string>,
  notice = '',
): string {
  const body = `<div class="card"><h1>Your referral dashboard</h1>
<p class="lead">Enter the email you joined with and we will send you a sign-in link. No password needed.</p>
${notice}${errorSummary(errors)}
<form method="post" action="/portal/${esc(pub.program.id)}/sign-in" novalidate>
${field({ name: 'email', label: 'Email', type: 'email', required: true, autocomplete: 'email' }, values, errors)}
<button type="submit">Email me a sign-in link</button></form></div>`;
  return page(pub.settings, { title: 'Sign in', body });
}

const money = (amount: number, currency: string | null) =>
  currency ? `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}` : `${amount} points`;
const day = (date: Date) =>
  date.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/** Referrals shown on one page of the portal; older ones are a link away. */
export const PORTAL_PAGE_SIZE = 25;

/** A cursor from the page's address, when it is one (anything else shows the newest). */
function cursorOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 200) return undefined;
  try {
    decodeCursor(value);
    return value;
  } catch {
    return undefined;
  }
}

async function dashboard(
  ctx: AppContext,
  pub: PublicProgram,
  member: MemberRow,
  cursor: string | undefined,
): Promise<string> {
  const { program, settings } = pub;
  const link = linkOf(ctx, member);
  const stats = await funnel(ctx.db, program, { memberId: member.id });
  const referrals = await listReferrals(ctx.db, member.workspaceId, {
    memberId: member.id,
    limit: PORTAL_PAGE_SIZE,
    cursor,
  });
  const rows: string[] = [];
  for (const referral of referrals.data) {
    const history = await referralHistory(ctx.db, member.workspaceId, referral.id);
    const feedback = history
      .filter((change) => change.feedback)
      .reverse()
      .map(
        (change) =>
          `<p class="feedback"><span class="muted">${day(change.createdAt)}:</span> ${esc(change.feedback)}</p>`,
      )
      .join('');
    const milestone = program.milestones.find((m) => m.code === referral.milestone);
    const kind = milestoneKindOf(program.milestones, referral.milestone);
    const name =
      [referral.firstName, referral.lastName].filter(Boolean).join(' ') || referral.email || 'Referral';
    rows.push(
      `<tr><td><strong>${esc(name)}</strong>${referral.company ? `<br><span class="muted">${esc(referral.company)}</span>` : ''}${feedback}</td>` +
        `<td><span class="badge ${kind}">${esc(milestone?.label ?? referral.milestone)}</span></td><td class="date">${day(referral.createdAt)}</td></tr>`,
    );
  }
  const base = `/portal/${esc(program.id)}`;
  const pager = [
    cursor ? `<a href="${base}#referrals">Newest referrals</a>` : '',
    referrals.nextCursor
      ? `<a href="${base}?after=${encodeURIComponent(referrals.nextCursor)}#referrals">Older referrals</a>`
      : '',
  ].filter(Boolean);
  const pagerNav = pager.length
    ? `<nav class="pager" aria-label="Referral pages">${pager.join(' ')}</nav>`
    : '';
  const referralTable = rows.length
    ? `<table><thead><tr><th scope="col">Referral</th><th scope="col">Status</th><th scope="col">Referred</th></tr></thead><tbody>${rows.join('')}</tbody></table>${pagerNav}`
    : cursor
      ? `<p class="muted">No older referrals.</p>${pagerNav}`
      : '<p class="muted">No referrals yet. Share your link to get started.</p>';
  const rewards = (
    await listRewards(ctx.db, member.workspaceId, { memberId: member.id, limit: 100 })
  ).data.filter((reward) => reward.recipient === 'referrer');
  const balance = await memberBalance(ctx.db, member.workspaceId, member.id);
  const rewardCard = rewards.length
    ? `<div class="card"><h2>Your rewards</h2><div class="stats">${balance.balances
        .map(
          (entry) =>
            `<div class="stat"><span class="muted">Earned, not yet paid</span><b>${money(entry.pending + entry.approved, entry.currency)}</b></div>` +
            `<div class="stat"><span class="muted">Paid</span><b>${money(entry.paid, entry.currency)}</b></div>`,
        )
        .join('')}</div>
<table style="margin-top:16px"><thead><tr><th scope="col">Reward</th><th scope="col">Status</th><th scope="col">Date</th></tr></thead><tbody>${rewards
        .map(
          (reward) =>
            `<tr><td>${money(reward.amount, reward.currency)}</td><td><span class="badge">${esc(reward.status)}</span></td><td class="date">${day(reward.createdAt)}</td></tr>`,
        )
        .join('')}</tbody></table></div>`
    : '';
  const referLink =
    settings.hostedPages === 'off'
      ? ''
      : `<p><a class="button" href="/p/${esc(program.id)}/refer?code=${encodeURIComponent(member.referralCode)}">Refer a friend by form</a></p>`;
  const body = `<div class="card"><div style="display:flex;justify-content:space-between;align-items:center;gap:12px;flex-wrap:wrap">
<h1>Hi ${esc(member.firstName ?? member.email ?? '')}</h1>
<form method="post" action="/portal/${esc(program.id)}/sign-out"><button type="submit" class="secondary">Sign out</button></form></div>
<div class="stats"><div class="stat"><span class="muted">Clicks</span><b>${stats.total.clicks}</b></div>
<div class="stat"><span class="muted">Referrals</span><b>${stats.total.referrals}</b></div>
<div class="stat"><span class="muted">Qualified</span><b>${stats.total.qualified}</b></div>
<div class="stat"><span class="muted">Won</span><b>${stats.total.won}</b></div></div></div>
${linkCard(link, member.referralCode, settings.brandName)}
<div class="card" id="referrals"><h2>Your referrals</h2>${referralTable}${referLink}</div>${rewardCard}`;
  return page(settings, { title: 'Your referral dashboard', body, scripts: [SHARE_SCRIPT] });
}

function sessionCookie(ctx: AppContext, programId: string, value: string, maxAgeSeconds: number): string {
  const secure = ctx.config.publicUrl.startsWith('https:') ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=/portal/${programId}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`;
}

export const portalRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  acceptForms(app);

  const load = (programId: string) => publicProgram(ctx, programId);

  app.get<{ Params: { programId: string }; Querystring: { after?: string } }>(
    '/portal/:programId',
    { schema: { hide: true } },
    async (request, reply) => {
      const pub = await load(request.params.programId);
      if (!pub) return notFoundPage(reply);
      const member = await sessionMember(ctx, pub.program.id, cookieOf(request, SESSION_COOKIE));
      if (!member) return sendPage(reply, signInPage(pub, {}, {}));
      return sendPage(reply, await dashboard(ctx, pub, member, cursorOf(request.query.after)));
    },
  );

  app.post<{ Params: { programId: string } }>(
    '/portal/:programId/sign-in',
    { schema: { hide: true } },
    async (request, reply) => {
      const pub = await load(request.params.programId);
      if (!pub) return notFoundPage(reply);
      const values = formBody(request);
      const parsed = signInForm.safeParse(values);
      if (!parsed.success) return sendPage(reply, signInPage(pub, values, fieldErrors(parsed.error)), 400);
      const byAddress = await countHit(ctx.db, `sign-in:${addressHash(ctx, request)}`, limits.signInRequests);
      const byEmail = await countHit(
        ctx.db,
        `sign-in:${ctx.secrets.mac('capture:email', parsed.data.email.toLowerCase())}`,
        limits.signInRequests,
      );
      if (byAddress > limits.signInRequests.max || byEmail > limits.signInRequests.max) {
        return sendPage(
          reply,
          messagePage(
            pub.settings,
            'Please wait a moment',
            'Too many sign-in requests; try again in a few minutes.',
            '',
            'bad',
          ),
          429,
        );
      }
      await requestSignIn(ctx, pub.program, parsed.data.email);
      return sendPage(
        reply,
        messagePage(
          pub.settings,
          'Check your inbox',
          `If ${parsed.data.email} belongs to a member of ${pub.settings.brandName}, a sign-in link is on its way. It works once, for 30 minutes.`,
        ),
      );
    },
  );

  // Opening the emailed link shows a button; only pressing it spends the link, so mail
  // scanners that fetch links do not use it up.
  app.get<{ Params: { programId: string }; Querystring: { token?: string } }>(
    '/portal/:programId/auth',
    { schema: { hide: true } },
    async (request, reply) => {
      const pub = await load(request.params.programId);
      if (!pub) return notFoundPage(reply);
      const token = typeof request.query.token === 'string' ? request.query.token : '';
      const body = `<div class="card"><h1>Sign in</h1><p class="lead">Continue to your referral dashboard.</p>
<form method="post" action="/portal/${esc(pub.program.id)}/auth"><input type="hidden" name="token" value="${esc(token)}"><button type="submit">Continue to my dashboard</button></form></div>`;
      return sendPage(
        reply.header('referrer-policy', 'no-referrer'),
        page(pub.settings, { title: 'Sign in', body }),
      );
    },
  );

  app.post<{ Params: { programId: string } }>(
    '/portal/:programId/auth',
    { schema: { hide: true } },
    async (request, reply) => {
      const pub = await load(request.params.programId);
      if (!pub) return notFoundPage(reply);
      const session = await consumeLink(ctx, pub.program.id, formBody(request).token ?? '');
      if (!session) {
        const notice = `<div class="notice bad" role="alert">This sign-in link has expired or was used already. Ask for a new one below.</div>`;
        return sendPage(reply, signInPage(pub, {}, {}, notice), 400);
      }
      return reply
        .header('set-cookie', sessionCookie(ctx, pub.program.id, session, SESSION_TTL_MS / 1000))
        .header('cache-control', 'no-store')
        .redirect(`/portal/${pub.program.id}`, 303);
    },
  );

  app.post<{ Params: { programId: string } }>(
    '/portal/:programId/sign-out',
    { schema: { hide: true } },
    async (request, reply: FastifyReply) => {
      const pub = await load(request.params.programId);
      if (!pub) return notFoundPage(reply);
      await endSession(ctx, cookieOf(request, SESSION_COOKIE));
      return reply
        .header('set-cookie', sessionCookie(ctx, pub.program.id, '', 0))
        .redirect(`/portal/${pub.program.id}`, 303);
    },
  );
};
