import { ownValue } from '../../core/outside-input.ts';
import { connectors } from '../../crm/registry.ts';
import type { Provider } from '../../crm/types.ts';
import type { receiverSettings } from '../tables.ts';

type ReceiverSettingsRow = typeof receiverSettings.$inferSelect;

/** What one connection's poll reads: an object, and the fields its settings use. */
export interface PollTarget {
  /** The object's API name, spelled as the connector expects it. */
  object: string;
  fields: string[];
}

/** The polled object a settings rule names, or undefined when the poll does not read it. */
export function polledObject(provider: Provider, name: string): string | undefined {
  const { polled, aliases } = connectors[provider].objects;
  const lower = name.trim().toLowerCase();
  const named = polled.find((object) => object.toLowerCase() === lower) ?? ownValue(aliases, lower);
  return named !== undefined && polled.includes(named) ? named : undefined;
}

/**
 * The objects named by the status triggers and field updates of every enabled settings row of
 * one connection, each with every field any rule (match rules included) reads on it. Objects
 * named only by match rules are not polled: a change there fires no trigger and updates no
 * field, so its entry could only end `ignored`. Field names compare without regard to case where
 * the CRM's do (`caseInsensitiveFields`); the first spelling is kept.
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
  const { caseInsensitiveFields, polled } = connectors[provider].objects;
  const fieldKey = (field: string) => (caseInsensitiveFields ? field.toLowerCase() : field);
  for (const row of enabled) {
    for (const rule of [...row.statusTriggers, ...row.fieldUpdates, ...row.targetMatch, ...row.memberMatch]) {
      const object = polledObject(provider, rule.object);
      const fields = object === undefined ? undefined : fieldsByObject.get(object);
      const field = rule.field.trim();
      if (fields === undefined || field === '' || fields.has(fieldKey(field))) continue;
      fields.set(fieldKey(field), field);
    }
  }
  return polled
    .filter((object) => fieldsByObject.has(object))
    .map((object) => ({ object, fields: [...(fieldsByObject.get(object)?.values() ?? [])] }));
}
