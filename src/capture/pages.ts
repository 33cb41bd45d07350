import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { createMember, findMemberByCode, findMemberInProgram } from '../members/service.ts';
import { addressHash, countHit, limits } from './guards.ts';
import { checkbox, errorSummary, esc, field, honeypot, page, sendPage } from './html.ts';
import { takeReferral } from './intake.ts';
import { linkOf } from './links.ts';
import { customFieldErrors, customFieldsHtml, readCustomFields } from './member-fields.ts';
import { requestSignIn } from './portal-service.ts';
import { fieldErrors, optionalPageText, pageEmail, pageText, prospectFields } from './prospect.ts';
import {
  acceptForms,
  formBody,
  linkCard,
  messagePage,
  notFoundPage,
  type PublicProgram,
  publicProgram,
  SHARE_SCRIPT,
} from './public-pages.ts';

const referForm = z.object({
  code: pageText(64).min(1, 'enter your referral code'),
  ...prospectFields,
  firstName: pageText(100).min(1, "enter your friend's first name"),
  email: pageText(254).min(1, "enter your friend's email").pipe(z.email('must be an email address')),
  note: optionalPageText(2000),
  consent: z
    .string()
    .optional()
    .refine((value) => value === 'yes', 'please confirm your friend agreed'),
});

const joinForm = z.object({
  firstName: pageText(100).min(1, 'enter your first name'),
  lastName: optionalPageText(100),
  email: pageText(254).min(1, 'enter your email').pipe(pageEmail),
});

type Values = Record<string, string>;
type Errors = Record<string, string>;

function referPage(pub: PublicProgram, values: Values, errors: Errors): string {
  const { settings } = pub;
  const t = settings.texts;
  const body = `<div class="card"><h1>${esc(t.referTitle)}</h1><p class="lead">${esc(t.referIntro)}</p>
${errorSummary(errors)}
<form method="post" novalidate>
<fieldset><legend>You</legend>
${field({ name: 'code', label: 'Your referral code', required: true, autocomplete: 'off' }, values, errors)}
</fieldset>
<fieldset><legend>Your friend</legend>
<div class="row">${field({ name: 'firstName', label: 'First name', required: true, autocomplete: 'off' }, values, errors)}
${field({ name: 'lastName', label: 'Last name', autocomplete: 'off' }, values, errors)}</div>
${field({ name: 'email', label: 'Email', type: 'email', required: true, autocomplete: 'off' }, values, errors)}
${field({ name: 'company', label: 'Company', autocomplete: 'off' }, values, errors)}
${field({ name: 'note', label: 'Anything we should know?', type: 'textarea' }, values, errors)}
</fieldset>
${checkbox('consent', t.consent, values, errors)}
${honeypot()}
<button type="submit">Send referral</button>
</form></div>`;
  return page(settings, { title: t.referTitle, body });
}

function joinPage(pub: PublicProgram, values: Values, errors: Errors): string {
  const { settings } = pub;
  const t = settings.texts;
  const body = `<div class="card"><h1>${esc(t.joinTitle)}</h1><p class="lead">${esc(t.joinIntro)}</p>
${errorSummary(errors)}
<form method="post" novalidate>
<div class="row">${field({ name: 'firstName', label: 'First name', required: true, autocomplete: 'given-name' }, values, errors)}
${field({ name: 'lastName', label: 'Last name', autocomplete: 'family-name' }, values, errors)}</div>
${field({ name: 'email', label: 'Email', type: 'email', required: true, autocomplete: 'email' }, values, errors)}
${customFieldsHtml(pub.program.memberFields, values, errors)}
${honeypot()}
<button type="submit">Get my referral link</button>
</form>
<p class="muted">Already a member? <a href="/portal/${esc(pub.program.id)}">Sign in to your dashboard</a>.</p></div>`;
  return page(settings, { title: t.joinTitle, body });
}

/** Counts a post of this address to this program; true past the limit. */
async function overLimit(ctx: AppContext, request: FastifyRequest, programId: string): Promise<boolean> {
  const hits = await countHit(ctx.db, `form:${programId}:${addressHash(ctx, request)}`, limits.formPosts);
  return hits > limits.formPosts.max;
}

function tooMany(reply: FastifyReply, pub: PublicProgram): FastifyReply {
  return sendPage(
    reply.header('retry-after', String(limits.formPosts.windowSeconds)),
    messagePage(
      pub.settings,
      'Please wait a moment',
      'Too many submissions from your network; try again in a few minutes.',
      '',
      'bad',
    ),
    429,
  );
}

export const hostedPageRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  acceptForms(app);

  const load = async (programId: string, wanted: 'refer' | 'join') => {
    const pub = await publicProgram(ctx, programId);
    if (!pub) return undefined;
    const open = pub.settings.hostedPages;
    if (open === 'off' || (wanted === 'join' && open !== 'refer_and_join')) return undefined;
    return pub;
  };

  app.get<{ Params: { programId: string }; Querystring: { code?: string } }>(
    '/p/:programId/refer',
    { schema: { hide: true } },
    async (request, reply) => {
      const pub = await load(request.params.programId, 'refer');
      if (!pub) return notFoundPage(reply);
      const code = typeof request.query.code === 'string' ? request.query.code.slice(0, 64) : '';
      return sendPage(reply, referPage(pub, { code }, {}));
    },
  );

  app.post<{ Params: { programId: string } }>(
    '/p/:programId/refer',
    { schema: { hide: true } },
    async (request, reply) => {
      const pub = await load(request.params.programId, 'refer');
      if (!pub) return notFoundPage(reply);
      if (await overLimit(ctx, request, pub.program.id)) return tooMany(reply, pub);
      const values = formBody(request);
      const thanks = () =>
        sendPage(
          reply,
          messagePage(
            pub.settings,
            'Referral sent',
            pub.settings.texts.thanks,
            `<p><a href="/p/${esc(pub.program.id)}/refer?code=${encodeURIComponent(values.code ?? '')}">Refer someone else</a></p>`,
          ),
        );
      // A filled honeypot is a bot: it is thanked and nothing is kept.
      if (values.website) return thanks();
      // An unticked checkbox is not sent at all.
      const parsed = referForm.safeParse({ consent: '', ...values });
      const errors: Errors = parsed.success ? {} : fieldErrors(parsed.error);
      const member = parsed.success
        ? await findMemberByCode(ctx.db, pub.program.id, parsed.data.code)
        : undefined;
      if (parsed.success && !member)
        errors.code = 'we do not know this code; it is in your referral email and dashboard';
      if (!parsed.success || !member) return sendPage(reply, referPage(pub, values, errors), 400);
      await takeReferral(
        ctx,
        pub.program,
        member,
        { ...parsed.data, consent: pub.settings.texts.consent },
        'form',
      );
      return thanks();
    },
  );

  app.get<{ Params: { programId: string } }>(
    '/p/:programId/join',
    { schema: { hide: true } },
    async (request, reply) => {
      const pub = await load(request.params.programId, 'join');
      if (!pub) return notFoundPage(reply);
      return sendPage(reply, joinPage(pub, {}, {}));
    },
  );

  app.post<{ Params: { programId: string } }>(
    '/p/:programId/join',
    { schema: { hide: true } },
    async (request, reply) => {
      const pub = await load(request.params.programId, 'join');
      if (!pub) return notFoundPage(reply);
      if (await overLimit(ctx, request, pub.program.id)) return tooMany(reply, pub);
      const values = formBody(request);
      const inbox = () =>
        sendPage(
          reply,
          messagePage(
            pub.settings,
            'Check your inbox',
            'You are already a member: we emailed you a link to your referral dashboard.',
          ),
        );
      if (values.website) return inbox();
      const parsed = joinForm.safeParse(values);
      const custom = readCustomFields(pub.program.memberFields, values);
      const errors = { ...(parsed.success ? {} : fieldErrors(parsed.error)), ...custom.errors };
      if (!parsed.success || Object.keys(errors).length > 0) {
        return sendPage(reply, joinPage(pub, values, errors), 400);
      }
      const existing = await findMemberInProgram(ctx.db, pub.program.id, 'email', parsed.data.email);
      if (existing) {
        await requestSignIn(ctx, pub.program, parsed.data.email);
        return inbox();
      }
      let refused: Errors | undefined;
      const created = await createMember(ctx.db, ctx.queue, pub.program.workspaceId, {
        programId: pub.program.id,
        email: parsed.data.email,
        firstName: parsed.data.firstName,
        lastName: parsed.data.lastName ?? null,
        customFields: custom.customFields,
      }).catch((error: unknown) => {
        // Values the program's field types refuse (a date that is none, say) go beside their field.
        refused = customFieldErrors(error);
        if (refused) return undefined;
        throw error;
      });
      if (!created) return sendPage(reply, joinPage(pub, values, refused ?? {}), 400);
      const link = linkOf(ctx, created.member);
      const body = `<div class="card"><h1>Welcome, ${esc(created.member.firstName)}!</h1><div class="notice ok" role="status">You are in. Share your link: everyone who signs up through it counts as your referral.</div>
<p class="muted">We also keep your referrals and rewards on <a href="/portal/${esc(pub.program.id)}">your dashboard</a>; sign in there with ${esc(created.member.email)}.</p></div>
${linkCard(link, created.member.referralCode, pub.settings.brandName)}`;
      return sendPage(reply, page(pub.settings, { title: 'Welcome', body, scripts: [SHARE_SCRIPT] }), 201);
    },
  );
};
