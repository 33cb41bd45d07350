import { expect } from 'vitest';
import { pushSubscriber } from '../../src/push/subscriber.ts';
import { salesEntrySubscriber } from '../../src/receiver/process/subscriber.ts';
import { sandboxPlugins } from '../../src/sandbox/index.ts';
import { memorySandboxStore } from '../../src/sandbox/store.ts';
import { type ApiClient, startTestApp, type TestApp } from './app.ts';

/** refsync with the sandbox CRMs mounted, pushing referrals and processing sales entries. */
export function startSandboxApp(): Promise<TestApp> {
  return startTestApp({
    subscribers: [salesEntrySubscriber, pushSubscriber],
    plugins: sandboxPlugins(memorySandboxStore()),
  });
}

/** The answers of a connection's metadata routes, as the console's pickers read them. */

export interface MetadataField {
  name: string;
  options?: Array<{ value: string; label: string; group?: string }>;
}

export interface WiredItem {
  object: string;
  kind: string;
  detail: string;
}

export interface Wiring {
  wired: WiredItem[];
  unchanged: WiredItem[];
  message: string;
}

export interface FoundRecord {
  object: string;
  id: string;
  label: string;
  email: string | null;
  url: string | null;
}

/** The metadata routes of one connection; each expects a 200 and answers its body's data. */
export function connectionMetadata(api: ApiClient, connectionId: string) {
  const base = `/api/v1/connections/${connectionId}`;
  const ok = async <T>(path: string): Promise<T> => {
    const answer = await api.get<{ data: T }>(`${base}${path}`);
    expect(answer.status, `${path}: ${JSON.stringify(answer.body)}`).toBe(200);
    return answer.body.data;
  };
  const query = (params: Record<string, string | undefined>) => {
    const given = Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined);
    return given.length === 0 ? '' : `?${new URLSearchParams(given)}`;
  };
  return {
    objects: () =>
      ok<Array<{ name: string; label: string; pushable: boolean; triggerable: boolean }>>('/objects'),
    fields: (object: string) => ok<MetadataField[]>(`/fields${query({ object })}`),
    campaigns: (q?: string) =>
      ok<Array<{ id: string; name: string; status?: string }>>(`/campaigns${query({ q })}`),
    records: (params: { object?: string; q?: string }) => ok<FoundRecord[]>(`/records${query(params)}`),
    /** Wires the sandbox; expects a 200. */
    wire: async (body: { object?: string } = {}): Promise<Wiring> => {
      const answer = await api.post<Wiring>(`${base}/sandbox-wiring`, body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return answer.body;
    },
  };
}
