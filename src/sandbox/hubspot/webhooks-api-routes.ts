import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type HubspotContext, parseBody, queryString, sendJson, sendNoContent } from './context.ts';
import { errorBody, HubspotError, notFound } from './errors.ts';
import type { PortalState, WebhookSubscription } from './state.ts';
import {
  addSubscription,
  findSubscription,
  removeSubscription,
  setSubscriptionActive,
} from './subscriptions.ts';

/**
 * HubSpot's Webhooks API (`/webhooks/v3/{appId}/...`), authenticated with the developer
 * API key in `?hapikey=`, so an app can set its target URL and subscriptions the way it
 * would against HubSpot. It edits the same settings as the admin API.
 */

const settingsBody = z.object({
  targetUrl: z.string().url(),
  throttling: z.object({ maxConcurrentRequests: z.number().int().min(1) }).optional(),
});

const subscriptionCreateBody = z.object({
  eventType: z.string(),
  propertyName: z.string().min(1).optional(),
  active: z.boolean().default(true),
});

const subscriptionPatchBody = z.object({ active: z.boolean() });

const batchUpdateBody = z.object({
  inputs: z.array(z.object({ id: z.number().int(), active: z.boolean() })),
});

type AppParams = { appId: string };
type SubscriptionParams = { appId: string; subscriptionId: string };

function viewSubscription(subscription: WebhookSubscription) {
  return {
    id: String(subscription.id),
    eventType: subscription.subscriptionType,
    ...(subscription.propertyName === null ? {} : { propertyName: subscription.propertyName }),
    active: subscription.active,
    createdAt: subscription.createdAt,
    updatedAt: subscription.updatedAt,
  };
}

export function registerWebhooksApiRoutes(app: FastifyInstance, context: HubspotContext): void {
  const { keeper } = context;

  /** The app's portal, when the developer key matches it. */
  const appPortal = (request: FastifyRequest<{ Params: AppParams }>): PortalState => {
    const key = queryString((request.query as Record<string, unknown>).hapikey);
    const portal = keeper.state.portals.find((candidate) => candidate.appId === Number(request.params.appId));
    if (portal === undefined || key === undefined || key !== portal.developerApiKey) {
      throw new HubspotError(
        401,
        errorBody(
          'INVALID_AUTHENTICATION',
          'The API key provided is invalid. View or manage your API key here: https://app.hubspot.com/l/api-key/',
        ),
      );
    }
    return portal;
  };

  app.get<{ Params: AppParams }>('/webhooks/v3/:appId/settings', async (request, reply) => {
    const portal = appPortal(request);
    if (portal.webhooks.targetUrl === null) throw notFound(`No webhook settings for app ${portal.appId}`);
    return sendJson(reply, 200, {
      targetUrl: portal.webhooks.targetUrl,
      throttling: { maxConcurrentRequests: portal.webhooks.maxConcurrentRequests },
      createdAt: portal.createdAt,
      updatedAt: new Date().toISOString(),
    });
  });

  app.put<{ Params: AppParams }>('/webhooks/v3/:appId/settings', async (request, reply) => {
    const portal = appPortal(request);
    const input = parseBody(settingsBody, request.body);
    portal.webhooks.targetUrl = input.targetUrl;
    if (input.throttling !== undefined) {
      portal.webhooks.maxConcurrentRequests = input.throttling.maxConcurrentRequests;
    }
    keeper.changed();
    const now = new Date().toISOString();
    return sendJson(reply, 200, {
      targetUrl: portal.webhooks.targetUrl,
      throttling: { maxConcurrentRequests: portal.webhooks.maxConcurrentRequests },
      createdAt: now,
      updatedAt: now,
    });
  });

  app.delete<{ Params: AppParams }>('/webhooks/v3/:appId/settings', async (request, reply) => {
    const portal = appPortal(request);
    portal.webhooks.targetUrl = null;
    keeper.changed();
    return sendNoContent(reply);
  });

  app.get<{ Params: AppParams }>('/webhooks/v3/:appId/subscriptions', async (request, reply) => {
    const portal = appPortal(request);
    return sendJson(reply, 200, { results: portal.subscriptions.map(viewSubscription) });
  });

  app.post<{ Params: AppParams }>('/webhooks/v3/:appId/subscriptions', async (request, reply) => {
    const portal = appPortal(request);
    const input = parseBody(subscriptionCreateBody, request.body);
    const subscription = addSubscription(keeper, portal, {
      subscriptionType: input.eventType,
      propertyName: input.propertyName,
      active: input.active,
    });
    return sendJson(reply, 201, viewSubscription(subscription));
  });

  app.post<{ Params: AppParams }>(
    '/webhooks/v3/:appId/subscriptions/batch/update',
    async (request, reply) => {
      const portal = appPortal(request);
      const { inputs } = parseBody(batchUpdateBody, request.body);
      const startedAt = new Date().toISOString();
      const found = inputs.map((input) => ({ input, subscription: findSubscription(portal, input.id) }));
      const results = found.map(({ input, subscription }) =>
        viewSubscription(setSubscriptionActive(keeper, subscription, input.active)),
      );
      return sendJson(reply, 200, {
        status: 'COMPLETE',
        results,
        startedAt,
        completedAt: new Date().toISOString(),
      });
    },
  );

  app.get<{ Params: SubscriptionParams }>(
    '/webhooks/v3/:appId/subscriptions/:subscriptionId',
    async (request, reply) =>
      sendJson(
        reply,
        200,
        viewSubscription(findSubscription(appPortal(request), request.params.subscriptionId)),
      ),
  );

  app.patch<{ Params: SubscriptionParams }>(
    '/webhooks/v3/:appId/subscriptions/:subscriptionId',
    async (request, reply) => {
      const portal = appPortal(request);
      const input = parseBody(subscriptionPatchBody, request.body);
      const subscription = findSubscription(portal, request.params.subscriptionId);
      return sendJson(
        reply,
        200,
        viewSubscription(setSubscriptionActive(keeper, subscription, input.active)),
      );
    },
  );

  app.delete<{ Params: SubscriptionParams }>(
    '/webhooks/v3/:appId/subscriptions/:subscriptionId',
    async (request, reply) => {
      removeSubscription(keeper, appPortal(request), request.params.subscriptionId);
      return sendNoContent(reply);
    },
  );
}
