import { SfError, sfErrors } from '../errors.ts';
import { runQuery } from '../soql/execute.ts';
import type { RestContext, RestRequest, RestResponse, Route } from './context.ts';

const MAX_BATCH = 2000;
const MIN_BATCH = 200;

/** `Sforce-Query-Options: batchSize=N`, clamped to Salesforce's 200–2000 range. */
function batchSize(req: RestRequest): number {
  const header = req.headers['sforce-query-options'] ?? '';
  const found = /batchSize\s*=\s*(\d+)/i.exec(header);
  if (!found) return MAX_BATCH;
  return Math.min(MAX_BATCH, Math.max(MIN_BATCH, Number(found[1])));
}

function page(
  ctx: RestContext,
  records: Record<string, unknown>[],
  totalSize: number,
  offset: number,
  size: number,
  locator: string | null,
): RestResponse {
  const batch = records.slice(offset, offset + size);
  const nextOffset = offset + batch.length;
  const done = nextOffset >= records.length || locator === null;
  return {
    status: 200,
    body: {
      totalSize,
      done,
      ...(done ? {} : { nextRecordsUrl: `/services/data/v${ctx.version}/query/${locator}-${nextOffset}` }),
      records: batch,
    },
  };
}

function query(includeDeleted: boolean) {
  return (ctx: RestContext, req: RestRequest): RestResponse => {
    const soql = req.query.get('q');
    if (soql === null || soql.trim() === '') {
      throw new SfError(400, 'MALFORMED_QUERY', 'A query string parameter is required');
    }
    const result = runQuery(ctx.org, soql, { version: ctx.version, includeDeleted, now: ctx.now });
    const size = batchSize(req);
    const locator =
      result.records.length > size ? ctx.cursors.open(ctx.org.orgId, result.records, size, ctx.now) : null;
    return page(ctx, result.records, result.totalSize, 0, size, locator);
  };
}

function nextBatch(ctx: RestContext, _req: RestRequest, params: string[]): RestResponse {
  const [locator = '', offsetText = ''] = [params[0], params[1]];
  const cursor = ctx.cursors.get(ctx.org.orgId, locator, ctx.now);
  const offset = Number(offsetText);
  if (!cursor || !Number.isInteger(offset) || offset < 0) {
    throw new SfError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
  }
  return page(ctx, cursor.records, cursor.records.length, offset, cursor.batchSize, locator);
}

export const queryRoutes: Route[] = [
  { method: 'GET', pattern: /^\/query\/?$/, handle: query(false) },
  { method: 'GET', pattern: /^\/queryAll\/?$/, handle: query(true) },
  { method: 'GET', pattern: /^\/query(?:All)?\/(01g[A-Za-z0-9]+)-(\d+)\/?$/, handle: nextBatch },
  {
    method: 'GET',
    pattern: /^\/query(?:All)?\/([^/]+)\/?$/,
    handle: () => {
      throw sfErrors.notFound();
    },
  },
];
