import { hubspotError, notFound, validationError } from './errors.ts';
import { SUBSCRIPTION_TYPES, type SubscriptionType } from './facts.ts';
import type { PortalState, StateKeeper, WebhookSubscription } from './state.ts';

/**
 * Webhook subscriptions of a portal's app, shared by the admin API and HubSpot's own
 * Webhooks API (`/webhooks/v3/{appId}/subscriptions`).
 */

export function isSubscriptionType(value: string): value is SubscriptionType {
  return (SUBSCRIPTION_TYPES as readonly string[]).includes(value);
}

export function addSubscription(
  keeper: StateKeeper,
  portal: PortalState,
  input: { subscriptionType: string; propertyName?: string | undefined; active: boolean },
): WebhookSubscription {
  const { subscriptionType } = input;
  if (!isSubscriptionType(subscriptionType)) {
    throw validationError(
      `Unsupported event type ${subscriptionType}; supported: ${SUBSCRIPTION_TYPES.join(', ')}`,
    );
  }
  const propertyName = input.propertyName ?? null;
  if (subscriptionType.endsWith('.propertyChange') !== (propertyName !== null)) {
    throw validationError('propertyName is required for propertyChange subscriptions and only for them.');
  }
  const duplicate = portal.subscriptions.some(
    (existing) => existing.subscriptionType === subscriptionType && existing.propertyName === propertyName,
  );
  if (duplicate) throw hubspotError(409, 'CONFLICT', 'A subscription for this event already exists.');
  const now = new Date().toISOString();
  const subscription: WebhookSubscription = {
    id: portal.nextSubscriptionId,
    subscriptionType,
    propertyName,
    active: input.active,
    createdAt: now,
    updatedAt: now,
  };
  portal.nextSubscriptionId += 1;
  portal.subscriptions.push(subscription);
  keeper.changed();
  return subscription;
}

export function findSubscription(portal: PortalState, id: string | number): WebhookSubscription {
  const subscription = portal.subscriptions.find((one) => one.id === Number(id));
  if (subscription === undefined) throw notFound(`Subscription ${id} not found`);
  return subscription;
}

export function setSubscriptionActive(
  keeper: StateKeeper,
  subscription: WebhookSubscription,
  active: boolean,
): WebhookSubscription {
  subscription.active = active;
  subscription.updatedAt = new Date().toISOString();
  keeper.changed();
  return subscription;
}

export function removeSubscription(keeper: StateKeeper, portal: PortalState, id: string | number): void {
  const subscription = findSubscription(portal, id);
  portal.subscriptions = portal.subscriptions.filter((one) => one !== subscription);
  keeper.changed();
}
