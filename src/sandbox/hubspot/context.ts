import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodType } from 'zod';
import type { AssociationService } from './associations.ts';
import type { Credential } from './auth.ts';
import { hubspotError, notFound, validationError } from './errors.ts';
import { type ObjectType, objectTypeOf } from './facts.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { ChangeSource, RecordService } from './records.ts';
import type { PortalState, StateKeeper } from './state.ts';
import type { WebhookDispatcher } from './webhooks.ts';

/** What every route module of the sandbox shares. */
export interface HubspotContext {
  keeper: StateKeeper;
  records: RecordService;
  associations: AssociationService;
  limiter: RateLimiter;
  webhooks: WebhookDispatcher;
  /** Absolute URL of the sandbox root as the caller reached it (no trailing slash). */
  baseUrl(request: FastifyRequest): string;
}

/** The authenticated caller of an API route, set by the API guard. */
export interface ApiCall {
  portal: PortalState;
  credential: Credential;
  source: ChangeSource;
}

const calls = new WeakMap<FastifyRequest, ApiCall>();

export function setApiCall(request: FastifyRequest, call: ApiCall): void {
  calls.set(request, call);
}

export function apiCall(request: FastifyRequest): ApiCall {
  const call = calls.get(request);
  // Routes that read the call are only reachable through the guard; reaching here is a bug.
  if (call === undefined) throw new Error('API route reached without authentication');
  return call;
}

export const JSON_TYPE = 'application/json;charset=utf-8';

export function sendJson(reply: FastifyReply, statusCode: number, body: unknown): FastifyReply {
  return reply.code(statusCode).type(JSON_TYPE).send(JSON.stringify(body));
}

/** 204 answers keep a JSON content type too: some clients read the header before the body. */
export function sendNoContent(reply: FastifyReply): FastifyReply {
  return reply.code(204).type(JSON_TYPE).send();
}

export function objectTypeParam(name: string): ObjectType {
  const type = objectTypeOf(name);
  if (type === undefined)
    throw hubspotError(400, 'VALIDATION_ERROR', `Unable to infer object type from: ${name}`);
  return type;
}

export function parseBody<T>(schema: ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
  throw validationError(`Invalid input JSON: ${issues.join('; ')}`, {
    errors: result.error.issues.map((issue) => ({
      message: issue.message,
      in: issue.path.join('.'),
      code: 'INVALID_INPUT',
    })),
  });
}

/** Query lists come as `a,b` or as repeated keys (the official client repeats them). */
export function queryList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const parts = (Array.isArray(value) ? value : [value]).flatMap((item) => String(item).split(','));
  const cleaned = parts.map((part) => part.trim()).filter((part) => part.length > 0);
  return cleaned;
}

export function queryString(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : String(first);
}

export function queryBool(value: unknown): boolean {
  return queryString(value) === 'true';
}

export function queryInt(value: unknown, fallback: number): number {
  const text = queryString(value);
  if (text === undefined) return fallback;
  const parsed = Number.parseInt(text, 10);
  if (!Number.isFinite(parsed) || parsed < 0) throw validationError(`Invalid number: ${text}`);
  return parsed;
}

export function portalOr404(keeper: StateKeeper, portalId: string): PortalState {
  const portal = keeper.portal(Number(portalId));
  if (portal === undefined) throw notFound(`Portal ${portalId} does not exist`);
  return portal;
}
