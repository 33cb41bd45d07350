import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AppError, validationFailed } from '../../../core/errors.ts';
import type { HookIngest, IncomingEntry } from '../../hooks.ts';
import { hubspotBatchSchema, hubspotEntry } from './events.ts';
import { checkHubspotSignature, type SignatureCheck } from './signature.ts';

export const hubspotHookPath = '/hooks/hubspot';

/**
 * The URL HubSpot signed (v3 and v2 sign it). With REFSYNC_PUBLIC_URL set it is that URL
 * plus the path, as `GET /connections/{id}/hooks` hands it out, whatever a proxy in front
 * rewrote; without it, the scheme and Host the request arrived with (X-Forwarded-* honoured
 * only from the proxies named in REFSYNC_TRUST_PROXY).
 */
function signedUrl(ingest: HookIngest, request: FastifyRequest): string {
  if (ingest.config.publicUrlGiven) {
    const queryAt = request.url.indexOf('?');
    const query = queryAt === -1 ? '' : request.url.slice(queryAt);
    return `${ingest.config.publicUrl.replace(/\/+$/, '')}${hubspotHookPath}${query}`;
  }
  return `${request.protocol}://${request.host}${request.url}`;
}

/**
 * HubSpot webhooks for every connected portal, at one URL per app. The signature is checked
 * over the raw bytes before the body is even parsed; events are saved (deduplicated on portal and
 * event ID, processing queued) and the answer is an immediate 204, since HubSpot counts
 * anything slower than a few seconds as a failure and retries. Events of a portal with no
 * connection are logged and answered 2xx too: an error would only make HubSpot retry them
 * for a day.
 */
export const hubspotHookRoutes: FastifyPluginAsyncZod<{ ingest: HookIngest }> = async (app, { ingest }) => {
  // Raw bytes: a re-serialized body would no longer match its signature.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    done(null, body);
  });

  app.post(
    hubspotHookPath,
    {
      schema: {
        tags: ['hooks'],
        security: [],
        summary: 'HubSpot webhooks (v3 signature)',
        description:
          "Set as the app's webhook target URL. Verified with the connection's OAuth client secret; " +
          'answers 204 once the events are saved, 401 when the signature or its timestamp is wrong.',
      },
    },
    async (request, reply) => {
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      // The signature is checked over the raw bytes before they are parsed, so an unsigned
      // request costs no JSON parse. HubSpot signs with the app's client secret, which every
      // connection made through that app shares: each distinct secret is tried once.
      const rows = await ingest.connectionsWithClientSecret('hubspot');
      const signed = {
        method: request.method,
        url: signedUrl(ingest, request),
        rawBody,
        headers: request.headers,
      };
      const options = { allowLegacy: ingest.config.hubspotLegacySignatures };
      const secretOf = new Map(rows.map((row) => [row.id, row.clientSecret]));
      const checks = new Map<string, SignatureCheck>();
      for (const secret of new Set(secretOf.values())) {
        checks.set(secret, checkHubspotSignature(signed, secret, options));
      }
      const verified = rows.filter((row) => checks.get(secretOf.get(row.id) ?? '')?.valid === true);
      if (verified.length === 0) {
        const refusal = [...checks.values()].find((check) => !check.valid);
        const message =
          refusal && !refusal.valid ? refusal.reason : 'there is no HubSpot connection to check it with';
        request.log.warn({ url: signed.url, reason: message }, 'HubSpot webhook refused');
        throw new AppError('unauthorized', `Webhook signature refused: ${message}`);
      }

      let received: unknown;
      try {
        received = JSON.parse(rawBody.toString('utf8'));
      } catch (error) {
        throw new AppError('bad_request', `body: ${error instanceof Error ? error.message : 'not JSON'}`);
      }
      const parsed = hubspotBatchSchema.safeParse(received);
      if (!parsed.success) {
        throw validationFailed(
          parsed.error.issues.map((issue) => ({
            field: issue.path.length > 0 ? issue.path.map(String).join('.') : 'body',
            message: issue.message,
          })),
        );
      }
      const events = parsed.data;
      const originals = received as unknown[];
      const portalIds = [...new Set(events.map((event) => String(event.portalId)))];
      if (!rows.some((row) => row.accountId !== null && portalIds.includes(row.accountId))) {
        request.log.warn(
          { portalIds, events: events.length },
          'HubSpot webhook for portals with no connection',
        );
        return reply.code(204).send();
      }

      const byPortal = new Map(verified.map((row) => [row.accountId, row]));
      const byWorkspace = new Map<string, IncomingEntry[]>();
      let skipped = 0;
      events.forEach((event, index) => {
        const row = byPortal.get(String(event.portalId));
        if (!row) {
          skipped += 1;
          return;
        }
        const entries = byWorkspace.get(row.workspaceId) ?? [];
        entries.push(hubspotEntry(ingest, row.id, event, originals[index]));
        byWorkspace.set(row.workspaceId, entries);
      });
      if (skipped > 0) {
        request.log.warn(
          { portalIds, skipped },
          'HubSpot webhook events of unconnected or unverified portals',
        );
      }
      for (const [workspaceId, entries] of byWorkspace) {
        await ingest.record(workspaceId, entries);
      }
      return reply.code(204).send();
    },
  );
};
