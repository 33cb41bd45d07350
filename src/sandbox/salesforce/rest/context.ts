import type { DmlContext } from '../dml.ts';
import { sfErrors } from '../errors.ts';
import type { OrgRegistry } from '../org-registry.ts';
import type { OrgState } from '../state.ts';
import type { CursorStore } from './cursors.ts';

/** One REST call, stripped of transport: the same shape serves HTTP and composite subrequests. */
export interface RestRequest {
  method: string;
  /** Path below `/services/data/vNN.N`, e.g. `/sobjects/Lead/00Q…`. */
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
}

export interface RestResponse {
  status: number;
  /** Absent for 204 answers, which must carry no body. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RestContext {
  org: OrgState;
  version: string;
  now: number;
  registry: OrgRegistry;
  cursors: CursorStore;
  /** Absolute base URL of the sandbox (scheme, host, mount prefix). */
  baseUrl: string;
}

export type RouteHandler = (ctx: RestContext, req: RestRequest, params: string[]) => RestResponse;

export interface Route {
  method: string;
  pattern: RegExp;
  handle: RouteHandler;
}

export function dmlContext(ctx: RestContext, req: RestRequest): DmlContext {
  const header = req.headers['sforce-duplicate-rule-header'] ?? '';
  return {
    org: ctx.org,
    now: ctx.now,
    version: ctx.version,
    allowDuplicates: /allowsave\s*=\s*true/i.test(header),
  };
}

export function versionAtLeast(version: string, minimum: number): boolean {
  return Number.parseFloat(version) >= minimum;
}

export function jsonObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw sfErrors.jsonParser('Expected a JSON object');
  }
  return body as Record<string, unknown>;
}

/** Decodes one URL path segment; a malformed escape is an unknown resource, not a crash. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw sfErrors.notFound();
  }
}
