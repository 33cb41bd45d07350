import type { LimitNote } from '../crm/limit-notes.ts';
import { connectors } from '../crm/registry.ts';
import type { Provider } from '../crm/types.ts';
import { excerpt } from './foreign-text.ts';
import type { AlertSettingRef } from './tables.ts';

/**
 * The words of each health alert: what happened, what it affects, what to do. They name the
 * CRM, its object and field, and the settings (with their program) that use them.
 */

const crmOf = (provider: Provider) => connectors[provider].names.crm;

/** `connection_needs_reauth`. */
export function reauthWords(provider: Provider, reason: string): string {
  const crm = crmOf(provider);
  const said = excerpt(reason);
  return (
    `${crm} no longer accepts refsync's access: ${/[.!?]$/.test(said) ? said : `${said}.`} Nothing is pushed to or read from ` +
    `${crm} until someone reconnects: open this connection in the console and press "Reconnect ${crm}". ` +
    'Waiting pushes and events resume then.'
  );
}

/** `crm_rate_limited`. */
export function rateLimitWords(provider: Provider, note: LimitNote): string {
  const crm = crmOf(provider);
  const daily = note.code === 'REQUEST_LIMIT_EXCEEDED' && !note.message.startsWith('ConcurrentPerOrgLongTxn');
  const what = daily
    ? `${crm} refuses refsync's calls because the org used up its daily API request limit`
    : `${crm} refuses some of refsync's calls because too many were made in a short time (its rate limit)`;
  const todo = daily
    ? "Pushes and event processing wait and retry until calls are allowed again. Raise the org's API request limit, or reduce what other integrations call."
    : `refsync slows down and retries, so pushes and event processing take longer. If it lasts, reduce what other apps call on this ${connectors[provider].names.account}, or raise its limit.`;
  return `${what} (${excerpt(`${note.code}: ${note.message}`)}). ${todo}`;
}

const settingNames: Record<AlertSettingRef['kind'], string> = {
  push_settings: 'the push settings',
  receiver_settings: 'the sales receiver settings',
};

/** "the push settings of program "Partners" (mappings.2.crmField)", joined. */
function usedBy(settings: AlertSettingRef[]): string {
  const parts = settings.map(
    (ref) => `${settingNames[ref.kind]} of program "${ref.programName}" (${ref.path})`,
  );
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

/** What goes wrong while a push or receiver field is missing. */
function consequence(settings: AlertSettingRef[]): string {
  const push = settings.some((ref) => ref.kind === 'push_settings');
  const receiver = settings.some((ref) => ref.kind === 'receiver_settings');
  return [
    push ? 'pushes of referrals fail' : '',
    receiver ? 'events that need it are not matched or applied' : '',
  ]
    .filter(Boolean)
    .join(' and ');
}

/** `crm_field_missing`. HubSpot calls its fields properties, with an internal name. */
export function fieldMissingWords(
  provider: Provider,
  object: string,
  field: string,
  settings: AlertSettingRef[],
): string {
  const crm = crmOf(provider);
  const [kind, name] = provider === 'hubspot' ? ['property', 'internal name'] : ['field', 'API name'];
  return (
    `${crm} has no ${kind} ${field} on ${object} any more, but ${usedBy(settings)} use it. ` +
    `Until it is back, ${consequence(settings)}. Create the ${kind} ${field} on ${object} in ${crm} again ` +
    `(same ${name}), or change those settings to a ${kind} that exists.`
  );
}

/** `crm_object_missing`. */
export function objectMissingWords(provider: Provider, object: string, settings: AlertSettingRef[]): string {
  const crm = crmOf(provider);
  return (
    `${crm} does not show refsync the object ${object} any more (it was removed, or the connected user ` +
    `lost access to it), but ${usedBy(settings)} use it. Until it is back, ${consequence(settings)}. ` +
    `Give the connected user access to ${object} in ${crm}, or change those settings.`
  );
}

/** `events_not_arriving`. */
export function eventsNotArrivingWords(
  provider: Provider,
  polls: number,
  lastEntryAt: Date | null,
  pollIntervalSeconds: number,
): string {
  const crm = crmOf(provider);
  const setup =
    provider === 'salesforce'
      ? 'the outbound messages (or flows) in Salesforce Setup: their endpoint must be the outbound message URL shown on this connection, and they must be active'
      : "the HubSpot app's webhook subscriptions: their target URL must be the webhook URL shown on this connection, and they must be active";
  const since =
    lastEntryAt === null
      ? `no event from ${crm} ever arrived`
      : `no event from ${crm} arrived since ${lastEntryAt.toISOString()}`;
  return (
    `The last ${polls} catch-up polls found changes in ${crm} that no event had brought, and ${since}. ` +
    `Changes reach refsync only at the next poll (every ${pollIntervalSeconds} s) instead of at once. ` +
    `Check ${setup}.`
  );
}
