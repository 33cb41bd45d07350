import type { FastifyInstance } from 'fastify';
import {
  apiCall,
  type HubspotContext,
  objectTypeParam,
  parseBody,
  queryBool,
  queryInt,
  queryList,
  queryString,
  sendJson,
  sendNoContent,
} from './context.ts';
import { notFound } from './errors.ts';
import { objectTypeOf } from './facts.ts';
import { applyCreate, planCreate } from './object-create.ts';
import { viewRecord, withAssociations } from './object-view.ts';
import { createObjectBody, updateObjectBody } from './schemas.ts';

type ObjectParams = { type: string };
type RecordParams = { type: string; id: string };
type Query = Record<string, unknown>;

const LIST_MAX_LIMIT = 100;

export function registerObjectRoutes(app: FastifyInstance, context: HubspotContext): void {
  const { records, associations } = context;

  app.get<{ Params: ObjectParams; Querystring: Query }>('/crm/v3/objects/:type', async (request, reply) => {
    const { portal } = apiCall(request);
    const type = objectTypeParam(request.params.type);
    const query = request.query;
    const limit = Math.min(queryInt(query.limit, 10), LIST_MAX_LIMIT);
    const after = queryString(query.after);
    const archived = queryBool(query.archived);
    const properties = queryList(query.properties);
    const toTypes = queryList(query.associations) ?? [];
    const all = Object.values(portal.records[type])
      .filter((record) => record.archived === archived)
      .sort((a, b) => Number(a.id) - Number(b.id));
    const start = after === undefined ? 0 : all.findIndex((record) => Number(record.id) >= Number(after));
    const page = start < 0 ? [] : all.slice(start, start + limit);
    const next = start < 0 ? undefined : all[start + limit];
    const body: Record<string, unknown> = {
      results: page.map((record) =>
        withAssociations(viewRecord(type, record, properties), portal, type, associations, toTypes),
      ),
    };
    if (next !== undefined) {
      const link = new URL(`${context.baseUrl(request)}/crm/v3/objects/${type}`);
      link.searchParams.set('after', next.id);
      link.searchParams.set('limit', String(limit));
      body.paging = { next: { after: next.id, link: link.toString() } };
    }
    return sendJson(reply, 200, body);
  });

  app.post<{ Params: ObjectParams }>('/crm/v3/objects/:type', async (request, reply) => {
    const { portal, source } = apiCall(request);
    const type = objectTypeParam(request.params.type);
    const input = parseBody(createObjectBody, request.body);
    const record = applyCreate(context, portal, type, planCreate(context, portal, type, input), source);
    return sendJson(reply, 201, viewRecord(type, record, 'all'));
  });

  app.get<{ Params: RecordParams; Querystring: Query }>(
    '/crm/v3/objects/:type/:id',
    async (request, reply) => {
      const { portal } = apiCall(request);
      const type = objectTypeParam(request.params.type);
      const query = request.query;
      const idProperty = queryString(query.idProperty);
      const record = queryBool(query.archived)
        ? records.byId(portal, type, request.params.id)
        : records.require(portal, type, request.params.id, idProperty);
      if (record === undefined) throw notFound();
      const view = viewRecord(type, record, queryList(query.properties));
      const toTypes = (queryList(query.associations) ?? []).filter(
        (name) => objectTypeOf(name) !== undefined,
      );
      return sendJson(reply, 200, withAssociations(view, portal, type, associations, toTypes));
    },
  );

  app.patch<{ Params: RecordParams; Querystring: Query }>(
    '/crm/v3/objects/:type/:id',
    async (request, reply) => {
      const { portal, source } = apiCall(request);
      const type = objectTypeParam(request.params.type);
      const input = parseBody(updateObjectBody, request.body);
      const record = records.require(portal, type, request.params.id, queryString(request.query.idProperty));
      records.update(portal, type, record, input.properties, source);
      return sendJson(reply, 200, viewRecord(type, record, 'all'));
    },
  );

  app.delete<{ Params: RecordParams }>('/crm/v3/objects/:type/:id', async (request, reply) => {
    const { portal, source } = apiCall(request);
    const type = objectTypeParam(request.params.type);
    // Archiving a missing or already archived record is not an error in HubSpot.
    const record = records.live(portal, type, request.params.id);
    if (record !== undefined) records.archive(portal, type, record, source);
    return sendNoContent(reply);
  });
}
