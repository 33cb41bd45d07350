import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { restErrorBody, type SfError, sfErrors } from './errors.ts';
import { chargeApiRequest, checkSession, injectedFault, limitInfoHeader } from './guard.ts';
import type { OrgRegistry } from './org-registry.ts';
import type { CursorStore } from './rest/cursors.ts';
import { isServedVersion, versionList } from './rest/resources.ts';
import { dispatch } from './rest/router.ts';
import type { OrgState } from './state.ts';

export const JSON_TYPE = 'application/json;charset=UTF-8';

export interface HttpDeps {
  registry: OrgRegistry;
  cursors: CursorStore;
  baseUrl: (request: FastifyRequest) => string;
}

export function sendSfError(reply: FastifyReply, error: SfError): FastifyReply {
  return reply.code(error.status).type(JSON_TYPE).send(restErrorBody(error));
}

function headerMap(request: FastifyRequest): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(request.headers)) {
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export type Admission = { ok: true; org: OrgState } | { ok: false; error: SfError };

/**
 * The checks every API call passes, in Salesforce's order: a known session (401), the org
 * not in outage (503), injected faults (latency, 500/503), then the daily limit (403).
 */
export async function admitApiCall(
  registry: OrgRegistry,
  authorization: string | undefined,
): Promise<Admission> {
  const now = Date.now();
  const session = checkSession(registry, authorization, now);
  if (!session.ok) return { ok: false, error: session.error };
  const { org } = session;
  const fault = await injectedFault(org);
  if (fault) return { ok: false, error: fault };
  const overLimit = chargeApiRequest(org, now);
  registry.counted();
  if (overLimit) return { ok: false, error: overLimit };
  return { ok: true, org };
}

/** `/services/data/…`: versions list without a session, everything else through the guard. */
export function registerRestRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    // Read the raw (still encoded) path: route params are decoded, which would turn an
    // encoded `/` inside an external ID into a path separator.
    const rawPath = request.url.split('?')[0] ?? '';
    const rest = rawPath.slice(rawPath.indexOf('/services/data') + '/services/data'.length);
    if (rest === '' || rest === '/') {
      return reply.type(JSON_TYPE).send(versionList());
    }
    const found = /^\/v(\d+\.\d)(\/.*)?$/.exec(rest);
    if (!found || !isServedVersion(found[1] ?? '')) return sendSfError(reply, sfErrors.notFound());
    const version = found[1] ?? '62.0';
    const admitted = await admitApiCall(deps.registry, request.headers.authorization);
    if (!admitted.ok) return sendSfError(reply, admitted.error);
    const { org } = admitted;
    const queryIndex = request.url.indexOf('?');
    const response = dispatch(
      {
        org,
        version,
        now: Date.now(),
        registry: deps.registry,
        cursors: deps.cursors,
        baseUrl: deps.baseUrl(request),
      },
      {
        method: request.method,
        path: found[2] ?? '/',
        query: new URLSearchParams(queryIndex === -1 ? '' : request.url.slice(queryIndex + 1)),
        body: request.body,
        headers: headerMap(request),
      },
    );
    // Reads change nothing but the usage count (saved by `admitApiCall`); anything else may
    // have changed records.
    if (request.method !== 'GET' && request.method !== 'HEAD') deps.registry.changed();
    reply.header('sforce-limit-info', limitInfoHeader(org));
    for (const [key, value] of Object.entries(response.headers ?? {})) reply.header(key, value);
    reply.code(response.status);
    if (response.status === 204 || response.body === undefined) return reply.send();
    return reply.type(JSON_TYPE).send(JSON.stringify(response.body));
  };
  app.all('/services/data', handle);
  app.all('/services/data/*', handle);
}
