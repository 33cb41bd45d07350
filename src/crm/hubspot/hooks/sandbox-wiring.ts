import type { SandboxWired, SandboxWiring } from '../../hooks.ts';
import { sandboxAdmin } from '../../sandbox-admin.ts';
import { DEAL_STAGE_PROPERTY } from '../facts.ts';
import { WEBHOOK_OBJECT_TYPES } from './events.ts';

/**
 * The HubSpot sandbox's side of the receiver: the portal app's webhook target is refsync's
 * hook URL, and a `<object>.propertyChange` subscription exists (active) for every property a
 * status trigger watches. Done through the sandbox's admin API (a real app's webhooks are set
 * in the developer account).
 */

interface WebhookSettings {
  targetUrl: string | null;
}

interface Subscription {
  id: number;
  subscriptionType: string;
  propertyName: string | null;
  active: boolean;
}

/** `deals` → `deal`: the object family subscription types start with. */
const FAMILIES: Record<string, string> = Object.fromEntries(
  Object.entries(WEBHOOK_OBJECT_TYPES).map(([family, object]) => [object, family]),
);

export const hubspotSandboxWiring: SandboxWiring = {
  defaults: [
    { object: 'deals', triggerFields: [DEAL_STAGE_PROPERTY], readFields: [] },
    { object: 'contacts', triggerFields: ['lifecyclestage'], readFields: [] },
  ],
  async wire({ baseUrl, accountId, urls, needs }) {
    const target = urls.hubspotWebhookUrl;
    if (!target) throw new Error("HubSpot wiring needs the connection's webhook URL");
    const portal = `${baseUrl}/_admin/portals/${encodeURIComponent(accountId)}/webhooks`;
    const wired: SandboxWired[] = [];
    const unchanged: SandboxWired[] = [];

    const settings = await sandboxAdmin<WebhookSettings>(portal, 'GET');
    const app = { object: 'app', kind: 'webhook_subscription' as const };
    if (settings.targetUrl === target) {
      unchanged.push({ ...app, detail: `The app's webhook target URL is already ${target}` });
    } else {
      await sandboxAdmin(portal, 'PUT', { targetUrl: target });
      wired.push({ ...app, detail: `The app's webhook target URL is now ${target}` });
    }

    const { results } = await sandboxAdmin<{ results: Subscription[] }>(`${portal}/subscriptions`, 'GET');
    for (const need of needs) {
      const family = FAMILIES[need.object];
      if (family === undefined) continue;
      for (const property of new Set(need.triggerFields)) {
        const subscriptionType = `${family}.propertyChange`;
        const item = { object: need.object, kind: 'webhook_subscription' as const };
        const existing = results.find(
          (one) => one.subscriptionType === subscriptionType && one.propertyName === property,
        );
        if (existing?.active) {
          unchanged.push({ ...item, detail: `${subscriptionType} on ${property} is already subscribed` });
        } else if (existing) {
          await sandboxAdmin(`${portal}/subscriptions/${existing.id}`, 'PATCH', { active: true });
          wired.push({
            ...item,
            detail: `${subscriptionType} on ${property} was paused and is active again`,
          });
        } else {
          const created = await sandboxAdmin<Subscription>(`${portal}/subscriptions`, 'POST', {
            subscriptionType,
            propertyName: property,
          });
          results.push(created);
          wired.push({ ...item, detail: `Subscribed to ${subscriptionType} on ${property}` });
        }
      }
    }
    return { wired, unchanged };
  },
};
