import type { Provider } from '../crm/registry.ts';
import type { ReceiverHealth } from '../receiver/connection-state.ts';
import type { AlertView } from './alerts.ts';
import type { connections } from './tables.ts';

type ConnectionRow = typeof connections.$inferSelect;

export interface ConnectionView {
  id: string;
  provider: Provider;
  name: string;
  status: ConnectionRow['status'];
  accountId: string | null;
  baseUrl: string;
  authorizeBaseUrl: string;
  clientId: string;
  tokenExpiresAt: string | null;
  lastSuccessAt: string | null;
  lastErrorAt: string | null;
  lastError: string | null;
  lastEntryAt: string | null;
  lastPollAt: string | null;
  lastPollFound: number | null;
  createdAt: string;
  updatedAt: string;
  /** What needs a person's attention, in words (`alerts.ts`). */
  health: { alerts: AlertView[] };
}

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** Never includes a secret or token. The receiver's part of the health comes from the receiver. */
export function toConnectionView(
  row: ConnectionRow,
  receiver: ReceiverHealth,
  alerts: AlertView[] = [],
): ConnectionView {
  return {
    id: row.id,
    provider: row.provider,
    name: row.name,
    status: row.status,
    accountId: row.accountId,
    baseUrl: row.baseUrl,
    authorizeBaseUrl: row.authorizeBaseUrl,
    clientId: row.clientId,
    tokenExpiresAt: iso(row.tokenExpiresAt),
    lastSuccessAt: iso(row.lastSuccessAt),
    lastErrorAt: iso(row.lastErrorAt),
    lastError: row.lastError,
    lastEntryAt: receiver.lastEntryAt,
    lastPollAt: receiver.lastPollAt,
    lastPollFound: receiver.lastPollFound,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    health: { alerts },
  };
}
