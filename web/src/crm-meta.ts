/** Reading the connected CRM's objects, fields, campaigns and records for the settings editors. */
import { useEffect, useState } from 'react';
import { type ApiError, api } from './api.ts';
import { asApiError } from './components/data.tsx';
import type {
  CrmCampaignView,
  CrmFieldView,
  CrmObjectView,
  CrmOptionView,
  CrmRecordView,
} from './crm-types.ts';

export { fieldLabel, optionLabel } from './crm-types.ts';
export type { CrmCampaignView, CrmFieldView, CrmObjectView, CrmOptionView, CrmRecordView };

/** One page visit's answers, so ten trigger rows on one object ask the CRM once. */
const cache = new Map<string, Promise<unknown>>();

/** Forgets what was read (a new visit to an editor, or fields just created in the CRM). */
export function forgetCrmMeta(): void {
  cache.clear();
}

function cached<T>(path: string, query: Record<string, string>): Promise<T> {
  const key = `${path}?${new URLSearchParams(query).toString()}`;
  let answer = cache.get(key) as Promise<T> | undefined;
  if (!answer) {
    answer = api.get<T>(path, query);
    cache.set(key, answer);
    answer.catch(() => cache.delete(key));
  }
  return answer;
}

export type Meta<T> =
  | { state: 'idle' | 'loading'; data: undefined; error: undefined }
  | { state: 'ready'; data: T; error: undefined }
  | { state: 'error'; data: undefined; error: ApiError };

function useMeta<T>(load: (() => Promise<T>) | undefined, key: string): Meta<T> {
  const [meta, setMeta] = useState<Meta<T>>({
    state: load ? 'loading' : 'idle',
    data: undefined,
    error: undefined,
  });
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` names what `load` reads
  useEffect(() => {
    if (!load) {
      setMeta({ state: 'idle', data: undefined, error: undefined });
      return;
    }
    let current = true;
    setMeta({ state: 'loading', data: undefined, error: undefined });
    load()
      .then((data) => current && setMeta({ state: 'ready', data, error: undefined }))
      .catch(
        (error: unknown) => current && setMeta({ state: 'error', data: undefined, error: asApiError(error) }),
      );
    return () => {
      current = false;
    };
  }, [key]);
  return meta;
}

export function useCrmObjects(connectionId: string | null | undefined): Meta<CrmObjectView[]> {
  return useMeta(
    connectionId
      ? () =>
          cached<{ data: CrmObjectView[] }>(`/connections/${connectionId}/objects`, {}).then((r) => r.data)
      : undefined,
    `objects:${connectionId ?? ''}`,
  );
}

export function useCrmFields(
  connectionId: string | null | undefined,
  object: string | undefined,
): Meta<CrmFieldView[]> {
  return useMeta(
    connectionId && object
      ? () =>
          cached<{ data: CrmFieldView[] }>(`/connections/${connectionId}/fields`, { object }).then(
            (r) => r.data,
          )
      : undefined,
    `fields:${connectionId ?? ''}:${object ?? ''}`,
  );
}

export function searchCampaigns(connectionId: string, q: string): Promise<CrmCampaignView[]> {
  return api
    .get<{ data: CrmCampaignView[] }>(`/connections/${connectionId}/campaigns`, { q })
    .then((r) => r.data);
}

export function searchRecords(connectionId: string, object: string, q: string): Promise<CrmRecordView[]> {
  return api
    .get<{ data: CrmRecordView[] }>(`/connections/${connectionId}/records`, { object, q })
    .then((r) => r.data);
}
