import type { FastifyReply, FastifyRequest } from 'fastify';
import { accountOf, sendStripe } from './context.ts';
import { idempotencyError, invalidRequest, StripeApiError } from './errors.ts';
import { type FormObject, fingerprint } from './form.ts';
import type { SavedAnswer, StripeKeeper } from './state.ts';

const KEEP_MS = 24 * 3600_000;
// Bounded: the client keys every POST, and the whole state is rewritten on each change.
const MAX_SAVED = 1000;

export interface Answer {
  statusCode: number;
  body: unknown;
}

/**
 * Runs a POST under Stripe's `Idempotency-Key` rules: the first call with a key saves its
 * answer; a later call with the same key and the same params gets that answer again with
 * `Idempotent-Replayed: true`; the same key with other params or on another endpoint is a
 * 400 `idempotency_error`. Like Stripe, only answers of an endpoint that started executing
 * are saved: successes and 404s, not parameter errors (fix the call and retry the key).
 */
export function answerIdempotently(
  keeper: StripeKeeper,
  request: FastifyRequest,
  reply: FastifyReply,
  params: FormObject,
  run: () => Answer,
): FastifyReply {
  const header = request.headers['idempotency-key'];
  const key = typeof header === 'string' ? header : undefined;
  if (key === undefined || request.method !== 'POST') {
    const answer = run();
    return sendStripe(reply, answer.statusCode, JSON.stringify(answer.body));
  }
  if (key.length > 255) throw invalidRequest('Idempotency keys can be up to 255 characters long.');
  const account = accountOf(request);
  const now = Date.now();
  account.idempotency = account.idempotency.filter((saved) => saved.savedAt > now - KEEP_MS);
  const endpoint = `${request.method} ${request.url.split('?')[0]}`;
  const print = fingerprint(params);
  const saved = account.idempotency.find((candidate) => candidate.key === key);
  reply.header('idempotency-key', key);
  if (saved !== undefined) {
    if (saved.endpoint !== endpoint) {
      throw idempotencyError(
        `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${saved.endpoint}' vs '${endpoint}'). Try using a key other than '${key}' if you meant to execute a different request.`,
      );
    }
    if (saved.fingerprint !== print) {
      throw idempotencyError(
        `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
      );
    }
    reply.header('idempotent-replayed', 'true').header('original-request', saved.requestId);
    return sendStripe(reply, saved.statusCode, saved.body);
  }
  const save = (statusCode: number, body: string) => {
    const entry: SavedAnswer = {
      key,
      endpoint,
      fingerprint: print,
      statusCode,
      body,
      requestId: String(reply.getHeader('request-id') ?? ''),
      savedAt: now,
    };
    account.idempotency.push(entry);
    if (account.idempotency.length > MAX_SAVED) account.idempotency.shift();
    keeper.changed();
  };
  let answer: Answer;
  try {
    answer = run();
  } catch (error) {
    if (error instanceof StripeApiError && error.statusCode === 404) save(404, JSON.stringify(error.body));
    throw error;
  }
  const body = JSON.stringify(answer.body);
  save(answer.statusCode, body);
  return sendStripe(reply, answer.statusCode, body);
}
