import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomChars } from '../json-state.ts';
import {
  invalidInteger,
  invalidRequest,
  missingParam,
  noSuch,
  StripeApiError,
  unknownParam,
} from './errors.ts';
import { decodeForm, type FormObject, type FormValue } from './form.ts';
import type { AccountState, StripeKeeper } from './state.ts';

export interface StripeContext {
  keeper: StripeKeeper;
  baseUrl(request: FastifyRequest): string;
}

/** The API version answered when a call names none: the one the pinned client sends. */
export const DEFAULT_API_VERSION = '2026-11-18.endive';

const accounts = new WeakMap<FastifyRequest, AccountState>();

export function setAccount(request: FastifyRequest, account: AccountState): void {
  accounts.set(request, account);
}

export function accountOf(request: FastifyRequest): AccountState {
  const account = accounts.get(request);
  if (account === undefined) throw new Error('stripe sandbox: API route ran without the guard');
  return account;
}

export const newId = (prefix: string, length = 14) => `${prefix}_${randomChars(length)}`;
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Params of a call: the decoded form body of a POST, the decoded query string of a GET. */
export function paramsOf(request: FastifyRequest): FormObject {
  if (request.method === 'POST') {
    const body = request.body;
    return typeof body === 'object' && body !== null ? (body as FormObject) : {};
  }
  const query = request.url.split('?')[1] ?? '';
  return decodeForm(query);
}

/** `expand` is accepted everywhere (and ignored: no expandable field is modelled). */
export function allowOnly(params: FormObject, allowed: readonly string[]): void {
  for (const name of Object.keys(params)) {
    if (name !== 'expand' && !allowed.includes(name)) throw unknownParam(name);
  }
}

function paramValue(params: FormObject, name: string): FormValue | undefined {
  return Object.hasOwn(params, name) ? params[name] : undefined;
}

/** A string param; Stripe reads an empty value as "unset" (null). */
export function stringParam(params: FormObject, name: string): string | null | undefined {
  const value = paramValue(params, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidRequest(`Invalid string: ${name} must be a string.`, name);
  return value === '' ? null : value;
}

export function integerParam(params: FormObject, name: string): number | undefined {
  const value = paramValue(params, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw invalidInteger(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return Number(value);
}

export function requireParam<T>(value: T | null | undefined, name: string): T {
  if (value === undefined || value === null) throw missingParam(name);
  return value;
}

/** Stripe's metadata limits: 50 keys, keys up to 40 characters, values up to 500; '' removes a key. */
export function applyMetadata(params: FormObject, current: Record<string, string>): Record<string, string> {
  const value = paramValue(params, 'metadata');
  if (value === undefined) return current;
  if (value === '') return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidRequest('Invalid object: metadata must be a hash of keys and string values.', 'metadata');
  }
  const next = { ...current };
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string')
      throw invalidRequest(`Invalid string: metadata[${key}]`, `metadata[${key}]`);
    if (key.length > 40) {
      throw invalidRequest(
        `Metadata keys can have up to 40 characters; "${key}" has ${key.length}.`,
        'metadata',
      );
    }
    if (entry.length > 500) {
      throw invalidRequest(
        `Metadata values can have up to 500 characters (metadata[${key}]).`,
        `metadata[${key}]`,
      );
    }
    if (entry === '') delete next[key];
    else next[key] = entry;
  }
  if (Object.keys(next).length > 50) {
    throw invalidRequest('You can have at most 50 metadata keys.', 'metadata');
  }
  return next;
}

export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

/** One page of a list that is newest first, with `limit`, `starting_after` and `ending_before`. */
export function listPage<T extends { id: string }>(
  items: T[],
  params: FormObject,
  url: string,
  kind: string,
): ListPage<T> {
  const limit = integerParam(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) {
    throw invalidRequest('This value must be between 1 and 100 (limit).', 'limit');
  }
  const after = stringParam(params, 'starting_after');
  const before = stringParam(params, 'ending_before');
  const position = (id: string, param: string) => {
    const index = items.findIndex((item) => item.id === id);
    if (index < 0) throw noSuch(kind, id, param);
    return index;
  };
  if (typeof before === 'string') {
    const end = position(before, 'ending_before');
    const start = Math.max(0, end - limit);
    return { object: 'list', data: items.slice(start, end), has_more: start > 0, url };
  }
  const start = typeof after === 'string' ? position(after, 'starting_after') + 1 : 0;
  const data = items.slice(start, start + limit);
  return { object: 'list', data, has_more: start + limit < items.length, url };
}

export function sendStripe(reply: FastifyReply, statusCode: number, body: string): FastifyReply {
  return reply.code(statusCode).type('application/json').send(body);
}

export function isStripeApiError(error: unknown): error is StripeApiError {
  return error instanceof StripeApiError;
}
