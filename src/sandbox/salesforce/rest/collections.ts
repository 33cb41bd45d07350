import {
  beginTransaction,
  createRecord,
  type DmlContext,
  deleteRecord,
  liveRecord,
  updateRecord,
  upsertRecord,
} from '../dml.ts';
import { SfError, saveError, sfErrors } from '../errors.ts';
import { requireObject } from '../fields.ts';
import { looksLikeId, prefixOf } from '../ids.ts';
import { objectByPrefix } from '../schema.ts';
import {
  decodeSegment,
  dmlContext,
  jsonObject,
  type RestContext,
  type RestRequest,
  type RestResponse,
  type Route,
} from './context.ts';
import { renderRecord, selectedFields } from './sobjects.ts';

/** Records one sObject Collections call may carry. */
const MAX_RECORDS = 200;

type SaveResult = Record<string, unknown>;

function readBatch(body: unknown): { allOrNone: boolean; records: Record<string, unknown>[] } {
  const payload = jsonObject(body);
  const records = payload.records;
  if (!Array.isArray(records)) throw sfErrors.jsonParser('Required field records is missing');
  if (records.length > MAX_RECORDS) {
    throw new SfError(
      400,
      'EXCEEDED_ID_LIMIT',
      'record limit reached. cannot submit more than 200 records into this call',
    );
  }
  return { allOrNone: payload.allOrNone === true, records: records.map((r) => jsonObject(r)) };
}

function typeOf(record: Record<string, unknown>): string {
  const attributes = record.attributes;
  const type =
    typeof attributes === 'object' && attributes !== null
      ? (attributes as Record<string, unknown>).type
      : undefined;
  if (typeof type !== 'string') {
    throw new SfError(400, 'INVALID_TYPE', 'Must send a concrete entity type.');
  }
  return type;
}

function failure(error: unknown, id?: string): SaveResult {
  if (!(error instanceof SfError)) throw error;
  return { ...(id ? { id } : {}), success: false, errors: [saveError(error)] };
}

/**
 * Runs one operation per record and applies `allOrNone`: when any record fails, the
 * transaction is rolled back and every record that had succeeded reports the rollback instead.
 * Rolled back, no record exists, so no result carries an id: an id would name a record that
 * a caller could never find.
 */
function runBatch(
  ctx: DmlContext,
  allOrNone: boolean,
  items: unknown[],
  operation: (item: unknown, index: number) => SaveResult,
): SaveResult[] {
  const transaction = beginTransaction(ctx.org);
  let results: SaveResult[];
  try {
    results = items.map((item, index) => {
      try {
        return operation(item, index);
      } catch (error) {
        const id = typeof item === 'string' ? item : undefined;
        return failure(error, id);
      }
    });
  } catch (error) {
    transaction.rollback();
    throw error;
  }
  if (allOrNone && results.some((r) => r.success === false)) {
    transaction.rollback();
    return results.map(({ id: _id, ...r }) =>
      r.success === false ? r : { success: false, errors: [saveError(sfErrors.rolledBack())] },
    );
  }
  transaction.commit();
  return results;
}

function createMany(ctx: RestContext, req: RestRequest): RestResponse {
  const { allOrNone, records } = readBatch(req.body);
  const dml = dmlContext(ctx, req);
  const results = runBatch(dml, allOrNone, records, (item) => {
    const record = jsonObject(item);
    if ('id' in record || 'Id' in record) {
      throw new SfError(400, 'INVALID_FIELD', 'The Id field should not be specified in the sobject data.');
    }
    const { attributes: _attributes, ...fields } = record;
    const id = createRecord(dml, typeOf(record), fields);
    return { id, success: true, errors: [] };
  });
  return { status: 200, body: results };
}

function updateMany(ctx: RestContext, req: RestRequest): RestResponse {
  const { allOrNone, records } = readBatch(req.body);
  const dml = dmlContext(ctx, req);
  const results = runBatch(dml, allOrNone, records, (item) => {
    const { attributes: _attributes, id, Id, ...fields } = jsonObject(item);
    const recordId = typeof id === 'string' ? id : typeof Id === 'string' ? Id : undefined;
    if (!recordId) throw new SfError(400, 'MISSING_ARGUMENT', 'Id not specified in an update call', ['Id']);
    try {
      updateRecord(dml, typeOf(jsonObject(item)), recordId, fields);
    } catch (error) {
      if (error instanceof SfError) return failure(error, recordId);
      throw error;
    }
    return { id: recordId, success: true, errors: [] };
  });
  return { status: 200, body: results };
}

function upsertMany(ctx: RestContext, req: RestRequest, params: string[]): RestResponse {
  const type = decodeSegment(params[0] ?? '');
  const keyName = decodeSegment(params[1] ?? '');
  requireObject(ctx.org, type);
  const { allOrNone, records } = readBatch(req.body);
  const dml = dmlContext(ctx, req);
  const results = runBatch(dml, allOrNone, records, (item) => {
    const { attributes: _attributes, ...fields } = jsonObject(item);
    const keyEntry = Object.entries(fields).find(([k]) => k.toLowerCase() === keyName.toLowerCase());
    const keyValue = keyEntry?.[1];
    if (typeof keyValue !== 'string' && typeof keyValue !== 'number') {
      throw new SfError(400, 'MISSING_ARGUMENT', `${keyName} not specified`, [keyName]);
    }
    const result = upsertRecord(dml, type, keyName, String(keyValue), fields);
    return { id: result.id, success: true, errors: [], created: result.created };
  });
  return { status: 200, body: results };
}

function deleteMany(ctx: RestContext, req: RestRequest): RestResponse {
  const ids = (req.query.get('ids') ?? '').split(',').filter((id) => id !== '');
  if (ids.length > MAX_RECORDS) {
    throw new SfError(
      400,
      'EXCEEDED_ID_LIMIT',
      'record limit reached. cannot submit more than 200 records into this call',
    );
  }
  const dml = dmlContext(ctx, req);
  const results = runBatch(dml, req.query.get('allOrNone') === 'true', ids, (item) => {
    const id = String(item);
    const def = looksLikeId(id) ? objectByPrefix(prefixOf(id)) : undefined;
    if (!def) throw new SfError(400, 'MALFORMED_ID', `malformed id ${id}`);
    deleteRecord(dml, def.name, id);
    return { id, success: true, errors: [] };
  });
  return { status: 200, body: results };
}

function retrieveMany(ctx: RestContext, type: string, ids: string[], fieldList: string | null): RestResponse {
  const def = requireObject(ctx.org, type);
  const fields = selectedFields(def, fieldList);
  if (!fields) throw new SfError(400, 'MISSING_ARGUMENT', 'fields is required', ['fields']);
  const records = ids.map((id) => {
    try {
      return renderRecord(ctx.version, def, liveRecord(ctx.org, def, id), fields);
    } catch (error) {
      if (error instanceof SfError) return null;
      throw error;
    }
  });
  return { status: 200, body: records };
}

export const collectionRoutes: Route[] = [
  { method: 'POST', pattern: /^\/composite\/sobjects\/?$/, handle: createMany },
  { method: 'PATCH', pattern: /^\/composite\/sobjects\/?$/, handle: updateMany },
  { method: 'DELETE', pattern: /^\/composite\/sobjects\/?$/, handle: deleteMany },
  { method: 'PATCH', pattern: /^\/composite\/sobjects\/([^/]+)\/([^/]+)\/?$/, handle: upsertMany },
  {
    method: 'GET',
    pattern: /^\/composite\/sobjects\/([^/]+)\/?$/,
    handle: (ctx, req, params) =>
      retrieveMany(
        ctx,
        decodeSegment(params[0] ?? ''),
        (req.query.get('ids') ?? '').split(',').filter((id) => id !== ''),
        req.query.get('fields'),
      ),
  },
  {
    method: 'POST',
    pattern: /^\/composite\/sobjects\/([^/]+)\/?$/,
    handle: (ctx, req, params) => {
      const body = jsonObject(req.body);
      const ids = Array.isArray(body.ids) ? body.ids.map(String) : [];
      const fields = Array.isArray(body.fields) ? body.fields.map(String).join(',') : null;
      return retrieveMany(ctx, decodeSegment(params[0] ?? ''), ids, fields);
    },
  },
];
