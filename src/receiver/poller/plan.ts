import type { Provider } from '../../crm/types.ts';
import type { receiverSettings } from '../tables.ts';

type ReceiverSettingsRow = typeof receiverSettings.$inferSelect;

/** What one connection's poll reads: an object, and the fields its settings use. */
export interface PollTarget {
  /** The object's API name, spelled as the connector expects it. */
  object: string;
  fields: string[];
}

/** The objects the catch-up poll can read, per provider, in their API spelling. */
export const POLLED_OBJECTS: Record<Provider, readonly string[]> = {
  salesforce: ['Lead', 'Contact', 'Account', 'Opportunity'],
  hubspot: ['contacts', 'deals', 'companies'],
};

/** Other spellings people write in settings (HubSpot singulars and type ids). */
const ALIASES: Record<Provider, Record<string, string>> = {
  salesforce: {},
  hubspot: {
    contact: 'contacts',
    '0-1': 'contacts',
    company: 'companies',
    '0-2': 'companies',
    deal: 'deals',
    '0-3': 'deals',
  },
};

/** The polled object a settings rule names, or undefined when the poll does not read it. */
export function polledObject(provider: Provider, name: string): string | undefined {
  const lower = name.trim().toLowerCase();
  return (
    POLLED_OBJECTS[provider].find((object) => object.toLowerCase() === lower) ?? ALIASES[provider][lower]
  );
}

/**
 * The objects named by the status triggers and field updates of every enabled settings row of
 * one connection, each with every field any rule (match rules included) reads on it. Objects
 * named only by match rules are not polled: a change there fires no trigger and updates no
 * field, so its entry could only end `ignored`. Salesforce compares names without regard to
 * case; the first spelling is kept.
 */
export function pollTargets(
  provider: Provider,
  settings: ReadonlyArray<
    Pick<ReceiverSettingsRow, 'enabled' | 'statusTriggers' | 'fieldUpdates' | 'targetMatch' | 'memberMatch'>
  >,
): PollTarget[] {
  const enabled = settings.filter((row) => row.enabled);
  const fieldsByObject = new Map<string, Map<string, string>>();
  for (const row of enabled) {
    for (const rule of [...row.statusTriggers, ...row.fieldUpdates]) {
      const object = polledObject(provider, rule.object);
      if (object !== undefined && !fieldsByObject.has(object)) fieldsByObject.set(object, new Map());
    }
  }
  const fieldKey = (field: string) => (provider === 'salesforce' ? field.toLowerCase() : field);
  for (const row of enabled) {
    for (const rule of [...row.statusTriggers, ...row.fieldUpdates, ...row.targetMatch, ...row.memberMatch]) {
      const object = polledObject(provider, rule.object);
      const fields = object === undefined ? undefined : fieldsByObject.get(object);
      const field = rule.field.trim();
      if (fields === undefined || field === '' || fields.has(fieldKey(field))) continue;
      fields.set(fieldKey(field), field);
    }
  }
  return POLLED_OBJECTS[provider]
    .filter((object) => fieldsByObject.has(object))
    .map((object) => ({ object, fields: [...(fieldsByObject.get(object)?.values() ?? [])] }));
}
