import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { AppError } from '../core/errors.ts';
import { findMemberByCode } from '../members/service.ts';
import { findProgram, type ProgramRow } from '../programs/service.ts';
import { addressHash, limits, spend } from './guards.ts';
import { takeReferral } from './intake.ts';
import { liveKey, type PublishableKeyRow } from './keys.ts';
import { optionalPageText, prospectFields } from './prospect.ts';
import { type EffectiveSettings, settingsOf } from './settings.ts';

const tags = ['capture'];
const keyParams = z.object({ key: z.string().max(100) });

const visitBody = z.object({ code: z.string().max(64) });
const signupBody = z.object({
  ...prospectFields,
  code: z.string().max(64).optional().describe("The referral code from the visitor's cookie"),
  clickedAt: z.number().int().optional().describe('When the visitor followed the link (seconds since 1970)'),
  note: optionalPageText(2000),
});

interface KeyContext {
  key: PublishableKeyRow;
  program: ProgramRow;
  settings: EffectiveSettings;
}

const unknownKey = () =>
  new AppError('unauthorized', 'The publishable key is unknown or revoked', {
    details: [{ field: 'key', message: 'unknown or revoked' }],
  });

/** The key's program, and the caller's origin checked against the program's allowed origins. */
async function admit(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  raw: string,
): Promise<KeyContext> {
  const admitted = admittedRequests.get(request);
  if (admitted) return admitted;
  const key = await liveKey(ctx.db, raw);
  const program = key ? await findProgram(ctx.db, key.workspaceId, key.programId) : undefined;
  if (!key || !program) throw unknownKey();
  const settings = await settingsOf(ctx.db, program);
  const origin = request.headers.origin;
  if (!origin || !settings.allowedOrigins.includes(origin)) {
    throw new AppError('forbidden', `Origin ${origin ?? '(none)'} may not use this publishable key`, {
      details: [{ field: 'origin', message: "is not among the program's allowed origins" }],
    });
  }
  reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
  await spend(ctx.db, `script:${key.id}:${addressHash(ctx, request)}`, limits.scriptCalls);
  const context = { key, program, settings };
  admittedRequests.set(request, context);
  return context;
}

const admittedRequests = new WeakMap<FastifyRequest, KeyContext>();

/** The key part of `/api/v1/capture/{key}/...`, read before the body is (so errors carry CORS). */
function keyOfUrl(url: string): string {
  return decodeURIComponent(url.split('?')[0]?.split('/')[4] ?? '');
}

/** Whether a click at `clickedAt` (seconds) still counts under the program's window. */
export function insideWindow(clickedAt: number | undefined, days: number, now = Date.now()): boolean {
  if (clickedAt === undefined) return true;
  const at = clickedAt * 1000;
  return at <= now + 24 * 3600 * 1000 && now - at <= days * 24 * 3600 * 1000;
}

/**
 * What the conversion script calls, with a program's publishable key in the path (so a
 * browser's preflight, which carries no body, can be answered for that program alone).
 */
export const publicCaptureApi: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  // Key, origin and rate are settled first, so even a refused body answers with CORS headers
  // the page can read.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'POST') await admit(ctx, request, reply, keyOfUrl(request.url));
  });

  app.options(
    '/api/v1/capture/:key/:action',
    { schema: { hide: true, params: z.object({ key: z.string().max(100), action: z.string() }) } },
    async (request, reply) => {
      const key = await liveKey(ctx.db, request.params.key);
      const program = key ? await findProgram(ctx.db, key.workspaceId, key.programId) : undefined;
      const origin = request.headers.origin;
      const settings = program ? await settingsOf(ctx.db, program) : undefined;
      if (!origin || !settings?.allowedOrigins.includes(origin)) return reply.code(403).send();
      return reply
        .code(204)
        .header('access-control-allow-origin', origin)
        .header('access-control-allow-methods', 'POST')
        .header('access-control-allow-headers', 'content-type')
        .header('access-control-max-age', '600')
        .header('vary', 'Origin')
        .send();
    },
  );

  app.post(
    '/api/v1/capture/:key/visits',
    {
      schema: {
        tags,
        security: [],
        summary: 'A visitor landed with a referral code (conversion script)',
        description: 'Answers how long the code is kept. Says nothing about whether the code exists.',
        params: keyParams,
        body: visitBody,
        response: { 200: z.object({ attributionDays: z.number() }) },
      },
    },
    async (request, reply) => {
      const { settings } = await admit(ctx, request, reply, request.params.key);
      return { attributionDays: settings.attributionDays };
    },
  );

  app.post(
    '/api/v1/capture/:key/signups',
    {
      schema: {
        tags,
        security: [],
        summary: 'A referred visitor signed up (conversion script)',
        description:
          'Creates the referral for the member whose code the visitor carries, inside the attribution window. ' +
          'The answer is the same whether or not a referral was created.',
        params: keyParams,
        body: signupBody,
        response: { 202: z.object({ received: z.literal(true) }) },
      },
    },
    async (request, reply) => {
      const { key, program, settings } = await admit(ctx, request, reply, request.params.key);
      await spend(ctx.db, `key-signups:${key.id}`, limits.keySignups);
      const body = request.body;
      const member =
        body.code && insideWindow(body.clickedAt, settings.attributionDays)
          ? await findMemberByCode(ctx.db, program.id, body.code)
          : undefined;
      if (member) {
        await takeReferral(ctx, program, member, body, 'script');
      }
      return reply.code(202).send({ received: true as const });
    },
  );
};
