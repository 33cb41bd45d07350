import type { IncomingEntry } from '../../src/receiver/entries/record.ts';
import { recordSalesEntries } from '../../src/receiver/entries/record.ts';
import { type ApiClient, eventually, type TestApp } from './app.ts';

export interface SalesEntry {
  id: string;
  status: string;
  reason: string | null;
  matchMethod: string | null;
  matchScore: number | null;
  referralId: string | null;
  memberId: string | null;
  trigger: Record<string, unknown> | null;
  changes: Record<string, unknown> | null;
  related: Record<string, Record<string, unknown> | null> | null;
  fields: Record<string, unknown>;
  receivedFields: Record<string, unknown>;
  rawPayload?: string;
  attempts: number;
}

export interface Referral {
  id: string;
  milestone: string;
  memberId: string | null;
  email: string | null;
  company: string | null;
  customFields: Record<string, unknown>;
  history: Array<{
    from: string | null;
    to: string;
    actor: string;
    feedback: string | null;
    overrodeDenied: boolean;
  }>;
}

let counter = 0;

/** Saves entries the way an ingest endpoint does (and enqueues their processing). */
export async function feed(
  testApp: TestApp,
  workspaceId: string,
  entry: Partial<IncomingEntry> & Pick<IncomingEntry, 'fields'>,
): Promise<string> {
  counter++;
  const [saved] = await recordSalesEntries(testApp.app.ctx, workspaceId, [
    {
      source: 'api',
      connectionId: null,
      dedupeKey: `test:${Date.now()}:${counter}`,
      rawPayload: JSON.stringify(entry.fields),
      ...entry,
    },
  ]);
  if (!saved) throw new Error('entry not saved');
  return saved.id;
}

/** Waits until the entry has an outcome. */
export async function outcomeOf(api: ApiClient, entryId: string, timeoutMs = 15_000): Promise<SalesEntry> {
  return eventually(async () => {
    const response = await api.get<SalesEntry>(`/api/v1/sales-entries/${entryId}`);
    return response.status === 200 && response.body.status !== 'received' ? response.body : undefined;
  }, timeoutMs);
}

export async function referralOf(api: ApiClient, id: string): Promise<Referral> {
  const response = await api.get<Referral>(`/api/v1/referrals/${id}`);
  if (response.status !== 200) throw new Error(`referral ${id}: ${JSON.stringify(response.body)}`);
  return response.body;
}

export async function newProgram(api: ApiClient, body: Record<string, unknown> = {}): Promise<string> {
  const response = await api.post<{ id: string }>('/api/v1/programs', {
    name: `P ${Math.random()}`,
    ...body,
  });
  if (response.status !== 201) throw new Error(`program: ${JSON.stringify(response.body)}`);
  return response.body.id;
}

export async function newReceiverSettings(api: ApiClient, body: Record<string, unknown>): Promise<string> {
  const response = await api.post<{ id: string }>('/api/v1/receiver-settings', body);
  if (response.status !== 201) throw new Error(`receiver settings: ${JSON.stringify(response.body)}`);
  return response.body.id;
}

export async function newReferral(api: ApiClient, body: Record<string, unknown>): Promise<Referral> {
  const response = await api.post<Referral>('/api/v1/referrals', body);
  if (response.status !== 201) throw new Error(`referral: ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Waits until the referral is at `milestone` (a CRM event moved it), and answers it. */
export function milestoneReached(api: ApiClient, referralId: string, milestone: string): Promise<Referral> {
  return eventually(async () => {
    const current = await referralOf(api, referralId);
    return current.milestone === milestone ? current : undefined;
  }, 20_000);
}
