import { withCrm } from '../../connections/service.ts';
import type { AppContext } from '../../context.ts';
import type { CrmConnector, CrmRecord, CrmSession } from '../../crm/types.ts';
import type { SalesEntryRow } from '../entries/record.ts';
import type { ReceiverSettingsRow } from '../settings/service.ts';
import { fieldValue } from './objects.ts';
import {
  accountContactsOf,
  baseRecords,
  type EntryRecords,
  RELATED_PROBE,
  resolveRecords,
  wantedFields,
} from './records.ts';

/** One entry of a batch waiting for its records, with where it came from and its settings. */
export interface RecordsRequest {
  entry: SalesEntryRow;
  origin: EntryRecords['origin'];
  settingsList: ReceiverSettingsRow[];
}

/** Each entry's records, or the error reading them (a CRM failure, for the caller to judge). */
export type RecordsAnswer = { records: EntryRecords } | { error: unknown };

/**
 * `resolveRecords` for a batch: the entries of one connection are completed and their related
 * records read together, one CRM query per object and relation for all of them (a
 * Salesforce `WHERE Id IN (...)`), instead of a few per entry. A CRM failure fails every
 * entry of that connection alike. Connectors without batch reads, and API entries, go entry
 * by entry as before. Answers in the order asked.
 */
export async function resolveRecordsMany(
  ctx: AppContext,
  requests: readonly RecordsRequest[],
): Promise<RecordsAnswer[]> {
  const answers = new Map<RecordsRequest, RecordsAnswer>();
  const byConnection = new Map<string, RecordsRequest[]>();
  for (const request of requests) {
    const { entry, origin } = request;
    if (origin === 'api' || entry.connectionId === null || entry.recordId === null) {
      answers.set(request, await one(ctx, request));
      continue;
    }
    byConnection.set(entry.connectionId, [...(byConnection.get(entry.connectionId) ?? []), request]);
  }
  for (const [connectionId, group] of byConnection) {
    try {
      await withCrm(ctx, connectionId, async (session, connector) => {
        if (!connector.getRecords || !connector.relatedMany) {
          for (const request of group) answers.set(request, await one(ctx, request));
          return;
        }
        for (const [request, records] of await readTogether(session, connector, group)) {
          answers.set(request, { records });
        }
      });
    } catch (error) {
      for (const request of group) if (!answers.has(request)) answers.set(request, { error });
    }
  }
  return requests.map((request) => answers.get(request) ?? { error: new Error('no records read') });
}

async function one(ctx: AppContext, request: RecordsRequest): Promise<RecordsAnswer> {
  try {
    return { records: await resolveRecords(ctx, request.entry, request.origin, request.settingsList) };
  } catch (error) {
    return { error };
  }
}

/** One connection's entries, read together: by triggered object, then by related object. */
async function readTogether(
  session: CrmSession,
  connector: CrmConnector,
  group: RecordsRequest[],
): Promise<Map<RecordsRequest, EntryRecords>> {
  const read = new Map<RecordsRequest, EntryRecords>();
  const byObject = new Map<string, Array<{ request: RecordsRequest; records: EntryRecords }>>();
  for (const request of group) {
    const records = baseRecords(request.entry, request.origin);
    read.set(request, records);
    byObject.set(records.object, [...(byObject.get(records.object) ?? []), { request, records }]);
  }
  for (const [object, items] of byObject) {
    // Entries of one connection share its settings, so they want the same fields.
    const first = items[0];
    if (!first) continue;
    const wanted = wantedFields(first.request.origin, first.request.settingsList);
    const own = [...(wanted.get(object) ?? [])];
    const missing = (records: EntryRecords) =>
      own.filter((field) => fieldValue(records.values, field) === undefined);
    const incomplete = items.filter(({ records }) => missing(records).length > 0);
    if (incomplete.length > 0 && connector.getRecords) {
      const fields = [...new Set(incomplete.flatMap(({ records }) => missing(records)))];
      const ids = incomplete.flatMap(({ records }) => (records.recordId ? [records.recordId] : []));
      const found = new Map(
        (await connector.getRecords(session, object, ids, fields)).map((record) => [record.id, record]),
      );
      for (const { records } of incomplete) {
        const record = records.recordId ? found.get(records.recordId) : undefined;
        if (!record) continue;
        for (const field of missing(records)) records.values[field] = record.values[field] ?? null;
      }
    }
    const ids = items.flatMap(({ records }) => (records.recordId ? [records.recordId] : []));
    // Each related object is its own question: asked at once, answered in the settings' order.
    const relatedMany = connector.relatedMany;
    const others = relatedMany ? [...wanted].filter(([other]) => other !== object) : [];
    const answers = await Promise.all(
      others.map(([other, fields]) => relatedMany?.(session, object, ids, other, [...fields], RELATED_PROBE)),
    );
    for (const [index, [other]] of others.entries()) {
      const linked = answers[index] ?? new Map<string, CrmRecord[]>();
      for (const { records } of items) {
        const found = records.recordId ? (linked.get(records.recordId) ?? []) : [];
        const [only] = found;
        records.related[other] = found.length === 1 && only ? { Id: only.id, ...only.values } : null;
      }
    }
    for (const { request, records } of items) {
      await accountContactsOf(session, connector, records, request.origin, request.settingsList);
    }
  }
  return read;
}
