import type { StatusTrigger } from '../tables.ts';
import { asText } from './objects.ts';
import { type EntryRecords, lookup } from './records.ts';

/**
 * The first status trigger, in the order the settings list them, whose field on the
 * triggered object or a related one equals its value as text, case-sensitively (the seed:
 * "an exact value match for the selected field").
 */
export function firstTrigger(
  triggers: readonly StatusTrigger[],
  records: EntryRecords,
): StatusTrigger | undefined {
  return triggers.find((trigger) => asText(lookup(records, trigger.object, trigger.field)) === trigger.value);
}

/** What the entry's fields said about each trigger's field, for the `ignored` reason. */
export function describeNoTrigger(triggers: readonly StatusTrigger[], records: EntryRecords): string {
  if (triggers.length === 0) return 'no status trigger is configured';
  const seen = triggers
    .slice(0, 5)
    .map((trigger) => {
      const value = asText(lookup(records, trigger.object, trigger.field));
      return `${trigger.object}.${trigger.field} is ${value === undefined ? 'empty' : JSON.stringify(value)}`;
    })
    .join('; ');
  return `no status trigger matched (${seen})`;
}
