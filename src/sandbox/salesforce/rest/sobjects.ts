import { sfDateTime } from '../datetime.ts';
import {
  createRecord,
  deleteRecord,
  findByField,
  liveRecord,
  updateRecord,
  upsertKeyField,
  upsertRecord,
} from '../dml.ts';
import { SfError, sfErrors } from '../errors.ts';
import { findField, requireObject } from '../fields.ts';
import { looksLikeId } from '../ids.ts';
import type { ObjectDef } from '../schema.ts';
import { STANDARD_OBJECTS } from '../standard-objects.ts';
import type { OrgState, SfRecord } from '../state.ts';
import {
  decodeSegment,
  dmlContext,
  jsonObject,
  type RestContext,
  type RestRequest,
  type RestResponse,
  type Route,
  versionAtLeast,
} from './context.ts';
import { describeGlobalEntry, describeObject } from './describe.ts';

export function recordUrl(version: string, type: string, id: string): string {
  return `/services/data/v${version}/sobjects/${type}/${id}`;
}

/** A record as REST returns it: `attributes` first, then the chosen fields (nulls included). */
export function renderRecord(
  version: string,
  def: ObjectDef,
  record: SfRecord,
  fields?: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    attributes: { type: def.name, url: recordUrl(version, def.name, String(record.Id)) },
  };
  const names = fields ?? def.fields.map((f) => f.name);
  for (const name of names) out[name] = record[name] ?? null;
  return out;
}

/** Parses `?fields=A,B` into canonical names, answering INVALID_FIELD for unknown ones. */
export function selectedFields(def: ObjectDef, list: string | null): string[] | undefined {
  if (list === null || list.trim() === '') return undefined;
  return list.split(',').map((raw) => {
    const name = raw.trim();
    const field = findField(def, name);
    if (!field) {
      throw new SfError(
        400,
        'INVALID_FIELD',
        `No such column '${name}' on entity '${def.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    return field.name;
  });
}

function visibleObjects(org: OrgState): ObjectDef[] {
  return STANDARD_OBJECTS.map((def) => requireObject(org, def.name));
}

function saveResult(id: string): Record<string, unknown> {
  return { id, success: true, errors: [] };
}

function create(ctx: RestContext, req: RestRequest, def: ObjectDef): RestResponse {
  const id = createRecord(dmlContext(ctx, req), def.name, jsonObject(req.body));
  return {
    status: 201,
    body: saveResult(id),
    headers: { location: recordUrl(ctx.version, def.name, id) },
  };
}

function recordById(ctx: RestContext, def: ObjectDef, id: string): SfRecord {
  // Salesforce reads a path segment that is not an ID as an external-ID value.
  if (!looksLikeId(id)) throw sfErrors.externalIdNotFound(id);
  return liveRecord(ctx.org, def, id);
}

function byIdRoute(ctx: RestContext, req: RestRequest, params: string[]): RestResponse {
  const def = requireObject(ctx.org, decodeSegment(params[0] ?? ''));
  const id = decodeSegment(params[1] ?? '');
  if (id === 'describe') {
    if (req.method !== 'GET') throw sfErrors.methodNotAllowed(req.method);
    return { status: 200, body: describeObject(ctx.version, def) };
  }
  if (id === 'updated' || id === 'deleted') return changedSince(ctx, req, def, id);
  switch (req.method) {
    case 'GET': {
      const record = recordById(ctx, def, id);
      return {
        status: 200,
        body: renderRecord(ctx.version, def, record, selectedFields(def, req.query.get('fields'))),
      };
    }
    case 'PATCH': {
      const record = recordById(ctx, def, id);
      updateRecord(dmlContext(ctx, req), def.name, String(record.Id), jsonObject(req.body));
      return { status: 204 };
    }
    case 'DELETE': {
      const record = recordById(ctx, def, id);
      deleteRecord(dmlContext(ctx, req), def.name, String(record.Id));
      return { status: 204 };
    }
    default:
      throw sfErrors.methodNotAllowed(req.method);
  }
}

function byExternalIdRoute(ctx: RestContext, req: RestRequest, params: string[]): RestResponse {
  const def = requireObject(ctx.org, decodeSegment(params[0] ?? ''));
  const keyName = decodeSegment(params[1] ?? '');
  const keyValue = decodeSegment(params[2] ?? '');
  if (req.method === 'PATCH' || (req.method === 'POST' && keyName.toLowerCase() === 'id')) {
    const result = upsertRecord(dmlContext(ctx, req), def.name, keyName, keyValue, jsonObject(req.body));
    const location = { location: recordUrl(ctx.version, def.name, result.id) };
    if (!versionAtLeast(ctx.version, 46)) {
      return result.created
        ? { status: 201, body: saveResult(result.id), headers: location }
        : { status: 204 };
    }
    return {
      status: result.created ? 201 : 200,
      body: { ...saveResult(result.id), created: result.created },
      headers: location,
    };
  }
  const key = upsertKeyField(def, keyName);
  const matches = findByField(ctx.org, def, key, keyValue);
  if (matches.length > 1) {
    return { status: 300, body: matches.map((r) => recordUrl(ctx.version, def.name, String(r.Id))) };
  }
  const match = matches[0];
  if (!match) throw sfErrors.notFound();
  if (req.method === 'GET') {
    return {
      status: 200,
      body: renderRecord(ctx.version, def, match, selectedFields(def, req.query.get('fields'))),
    };
  }
  if (req.method === 'DELETE') {
    deleteRecord(dmlContext(ctx, req), def.name, String(match.Id));
    return { status: 204 };
  }
  throw sfErrors.methodNotAllowed(req.method);
}

/** `sobjects/{Type}/updated|deleted?start=&end=`, used by replication-style sync. */
function changedSince(
  ctx: RestContext,
  req: RestRequest,
  def: ObjectDef,
  kind: 'updated' | 'deleted',
): RestResponse {
  const start = Date.parse(req.query.get('start') ?? '');
  const end = Date.parse(req.query.get('end') ?? '');
  if (Number.isNaN(start) || Number.isNaN(end)) {
    throw new SfError(400, 'MALFORMED_QUERY', 'Both start and end parameters are required');
  }
  const rows = Object.values(ctx.org.records[def.name] ?? {}).filter((r) => {
    const stamp = Date.parse(String(r.SystemModstamp).replace('+0000', 'Z'));
    return (
      stamp >= start && stamp <= end && (kind === 'deleted' ? r.IsDeleted === true : r.IsDeleted !== true)
    );
  });
  const latest = sfDateTime(Math.min(end, ctx.now));
  if (kind === 'updated')
    return { status: 200, body: { ids: rows.map((r) => r.Id), latestDateCovered: latest } };
  return {
    status: 200,
    body: {
      deletedRecords: rows.map((r) => ({ id: r.Id, deletedDate: r.SystemModstamp })),
      earliestDateAvailable: ctx.org.createdAt,
      latestDateCovered: latest,
    },
  };
}

export const sobjectRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/sobjects\/?$/,
    handle: (ctx) => ({
      status: 200,
      body: {
        encoding: 'UTF-8',
        maxBatchSize: 200,
        sobjects: visibleObjects(ctx.org).map((def) => describeGlobalEntry(ctx.version, def)),
      },
    }),
  },
  {
    method: 'GET',
    pattern: /^\/sobjects\/([^/]+)\/?$/,
    handle: (ctx, _req, params) => {
      const def = requireObject(ctx.org, decodeSegment(params[0] ?? ''));
      return {
        status: 200,
        body: { objectDescribe: describeGlobalEntry(ctx.version, def), recentItems: [] },
      };
    },
  },
  {
    method: 'POST',
    pattern: /^\/sobjects\/([^/]+)\/?$/,
    handle: (ctx, req, params) => create(ctx, req, requireObject(ctx.org, decodeSegment(params[0] ?? ''))),
  },
  { method: '*', pattern: /^\/sobjects\/([^/]+)\/([^/]+)\/?$/, handle: byIdRoute },
  { method: '*', pattern: /^\/sobjects\/([^/]+)\/([^/]+)\/([^/]+)\/?$/, handle: byExternalIdRoute },
];
