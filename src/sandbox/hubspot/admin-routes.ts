import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type HubspotContext, parseBody, portalOr404, sendJson, sendNoContent } from './context.ts';
import { SUBSCRIPTION_TYPES } from './facts.ts';
import { expireTokensNow } from './faults.ts';
import { createPortal, portalSummary } from './portals.ts';
import {
  addSubscription,
  findSubscription,
  removeSubscription,
  setSubscriptionActive,
} from './subscriptions.ts';

/** The sandbox's own control API (not a HubSpot API); documented in docs/sandbox-hubspot.md. */

const newPortalBody = z.object({
  name: z.string().min(1).optional(),
  rateLimitMax: z.number().int().positive().optional(),
  rateLimitIntervalMs: z.number().int().positive().optional(),
  dailyLimit: z.number().int().positive().optional(),
  tokenLifetimeSeconds: z.number().int().positive().optional(),
  redirectUris: z.array(z.string().url()).optional(),
});

const settingsBody = newPortalBody.omit({ name: true }).partial();

const faultsBody = z.object({
  latencyMs: z.number().int().min(0).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  errorStatuses: z.array(z.union([z.literal(500), z.literal(503)])).optional(),
  force429Count: z.number().int().min(0).optional(),
  outageSeconds: z.number().min(0).optional(),
  expireTokensNow: z.boolean().optional(),
});

const webhookSettingsBody = z.object({
  targetUrl: z.string().url().nullable().optional(),
  signatureVersions: z
    .array(z.enum(['v1', 'v2', 'v3']))
    .refine((versions) => !(versions.includes('v1') && versions.includes('v2')), 'v1 and v2 share one header')
    .optional(),
  batchSize: z.number().int().min(1).max(100).optional(),
  maxRetries: z.number().int().min(0).max(20).optional(),
  retryTimeScale: z.number().positive().optional(),
  timeoutMs: z.number().int().positive().optional(),
  maxConcurrentRequests: z.number().int().min(1).optional(),
  gatherMs: z.number().int().min(0).optional(),
});

const subscriptionBody = z.object({
  subscriptionType: z.enum(SUBSCRIPTION_TYPES),
  propertyName: z.string().min(1).optional(),
  active: z.boolean().default(true),
});

const subscriptionPatchBody = z.object({ active: z.boolean() });

type PortalParams = { portalId: string };
type SubscriptionParams = { portalId: string; subscriptionId: string };

export function registerAdminRoutes(app: FastifyInstance, context: HubspotContext): void {
  const { keeper } = context;

  app.post('/_admin/portals', async (request, reply) => {
    const input = parseBody(newPortalBody, request.body);
    const portal = createPortal(keeper, input);
    return sendJson(reply, 201, {
      portalId: portal.portalId,
      accessToken: portal.privateAppToken,
      appId: portal.appId,
      clientId: portal.clientId,
      clientSecret: portal.clientSecret,
      developerApiKey: portal.developerApiKey,
      name: portal.name,
      baseUrl: context.baseUrl(request),
    });
  });

  app.get('/_admin/portals', async (_request, reply) =>
    sendJson(reply, 200, { results: keeper.state.portals.map(portalSummary) }),
  );

  app.get<{ Params: PortalParams }>('/_admin/portals/:portalId', async (request, reply) =>
    sendJson(reply, 200, portalSummary(portalOr404(keeper, request.params.portalId))),
  );

  app.delete<{ Params: PortalParams }>('/_admin/portals/:portalId', async (request, reply) => {
    const portal = portalOr404(keeper, request.params.portalId);
    keeper.state.portals = keeper.state.portals.filter((candidate) => candidate !== portal);
    context.limiter.forget(portal.portalId);
    keeper.changed();
    return sendNoContent(reply);
  });

  app.patch<{ Params: PortalParams }>('/_admin/portals/:portalId/settings', async (request, reply) => {
    const portal = portalOr404(keeper, request.params.portalId);
    const input = parseBody(settingsBody, request.body);
    const settings = portal.settings;
    if (input.rateLimitMax !== undefined) settings.rateLimitMax = input.rateLimitMax;
    if (input.rateLimitIntervalMs !== undefined) settings.rateLimitIntervalMs = input.rateLimitIntervalMs;
    if (input.dailyLimit !== undefined) settings.dailyLimit = input.dailyLimit;
    if (input.tokenLifetimeSeconds !== undefined) settings.tokenLifetimeSeconds = input.tokenLifetimeSeconds;
    if (input.redirectUris !== undefined) settings.redirectUris = input.redirectUris;
    keeper.changed();
    return sendJson(reply, 200, settings);
  });

  app.put<{ Params: PortalParams }>('/_admin/portals/:portalId/faults', async (request, reply) => {
    const portal = portalOr404(keeper, request.params.portalId);
    const input = parseBody(faultsBody, request.body);
    const faults = portal.faults;
    if (input.latencyMs !== undefined) faults.latencyMs = input.latencyMs;
    if (input.errorRate !== undefined) faults.errorRate = input.errorRate;
    if (input.errorStatuses !== undefined) faults.errorStatuses = input.errorStatuses;
    if (input.force429Count !== undefined) faults.forced429Remaining = input.force429Count;
    if (input.outageSeconds !== undefined) {
      faults.outageUntil = input.outageSeconds > 0 ? Date.now() + input.outageSeconds * 1000 : null;
    }
    const expiredTokens = input.expireTokensNow === true ? expireTokensNow(keeper, portal) : 0;
    keeper.changed();
    return sendJson(reply, 200, { ...faults, expiredTokens });
  });

  app.delete<{ Params: PortalParams }>('/_admin/portals/:portalId/faults', async (request, reply) => {
    const portal = portalOr404(keeper, request.params.portalId);
    portal.faults = {
      latencyMs: 0,
      errorRate: 0,
      errorStatuses: [500, 503],
      forced429Remaining: 0,
      outageUntil: null,
    };
    keeper.changed();
    return sendJson(reply, 200, portal.faults);
  });

  app.post<{ Params: PortalParams }>('/_admin/portals/:portalId/expire-tokens', async (request, reply) => {
    const portal = portalOr404(keeper, request.params.portalId);
    return sendJson(reply, 200, { expiredTokens: expireTokensNow(keeper, portal) });
  });

  app.get<{ Params: PortalParams }>('/_admin/portals/:portalId/webhooks', async (request, reply) =>
    sendJson(reply, 200, portalOr404(keeper, request.params.portalId).webhooks),
  );

  app.put<{ Params: PortalParams }>('/_admin/portals/:portalId/webhooks', async (request, reply) => {
    const portal = portalOr404(keeper, request.params.portalId);
    const input = parseBody(webhookSettingsBody, request.body);
    const settings = portal.webhooks;
    if (input.targetUrl !== undefined) settings.targetUrl = input.targetUrl;
    if (input.signatureVersions !== undefined) settings.signatureVersions = input.signatureVersions;
    if (input.batchSize !== undefined) settings.batchSize = input.batchSize;
    if (input.maxRetries !== undefined) settings.maxRetries = input.maxRetries;
    if (input.retryTimeScale !== undefined) settings.retryTimeScale = input.retryTimeScale;
    if (input.timeoutMs !== undefined) settings.timeoutMs = input.timeoutMs;
    if (input.maxConcurrentRequests !== undefined)
      settings.maxConcurrentRequests = input.maxConcurrentRequests;
    if (input.gatherMs !== undefined) settings.gatherMs = input.gatherMs;
    keeper.changed();
    return sendJson(reply, 200, settings);
  });

  app.get<{ Params: PortalParams }>(
    '/_admin/portals/:portalId/webhooks/subscriptions',
    async (request, reply) =>
      sendJson(reply, 200, { results: portalOr404(keeper, request.params.portalId).subscriptions }),
  );

  app.post<{ Params: PortalParams }>(
    '/_admin/portals/:portalId/webhooks/subscriptions',
    async (request, reply) => {
      const portal = portalOr404(keeper, request.params.portalId);
      const input = parseBody(subscriptionBody, request.body);
      return sendJson(reply, 201, addSubscription(keeper, portal, input));
    },
  );

  app.patch<{ Params: SubscriptionParams }>(
    '/_admin/portals/:portalId/webhooks/subscriptions/:subscriptionId',
    async (request, reply) => {
      const portal = portalOr404(keeper, request.params.portalId);
      const input = parseBody(subscriptionPatchBody, request.body);
      const subscription = findSubscription(portal, request.params.subscriptionId);
      return sendJson(reply, 200, setSubscriptionActive(keeper, subscription, input.active));
    },
  );

  app.delete<{ Params: SubscriptionParams }>(
    '/_admin/portals/:portalId/webhooks/subscriptions/:subscriptionId',
    async (request, reply) => {
      const portal = portalOr404(keeper, request.params.portalId);
      removeSubscription(keeper, portal, request.params.subscriptionId);
      return sendNoContent(reply);
    },
  );

  app.get<{ Params: PortalParams }>(
    '/_admin/portals/:portalId/webhooks/deliveries',
    async (request, reply) => {
      const portal = portalOr404(keeper, request.params.portalId);
      return sendJson(reply, 200, {
        results: [...portal.deliveries].reverse(),
        pending: portal.pendingBatches.map((batch) => ({
          batchId: batch.id,
          attemptNumber: batch.attemptNumber,
          nextAttemptAt: new Date(batch.nextAttemptAt).toISOString(),
          eventIds: batch.events.map((event) => event.eventId),
        })),
        queued: portal.queuedEvents.length,
      });
    },
  );
}
