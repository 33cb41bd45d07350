import type { FastifyInstance } from 'fastify';
import {
  apiCall,
  type HubspotContext,
  objectTypeParam,
  parseBody,
  queryInt,
  sendJson,
  sendNoContent,
} from './context.ts';
import { hubspotError } from './errors.ts';
import {
  ASSOCIATION_TYPES,
  associationTypeById,
  OBJECT_LABELS,
  OBJECT_TYPE_IDS,
  type ObjectType,
} from './facts.ts';
import {
  associationBatchArchiveBody,
  associationBatchCreateBody,
  associationBatchDefaultBody,
  associationBatchReadBody,
  labeledAssociationBody,
} from './schemas.ts';
import type { AssociationEdge, PortalState } from './state.ts';

type PairParams = { fromType: string; fromId: string; toType: string; toId: string };
type ListParams = { fromType: string; fromId: string; toType: string };
type BatchParams = { fromType: string; toType: string };

/**
 * Associations v4. Ids inside v4 association answers are numbers (`toObjectId`,
 * `fromObjectId`), unlike the string ids of the objects API; `from.id` stays a string.
 */
function viewTargets(edgesByTarget: Map<string, AssociationEdge[]>) {
  return [...edgesByTarget.entries()]
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([toId, edges]) => ({
      toObjectId: Number(toId),
      associationTypes: edges.map((edge) => {
        const fact = associationTypeById(edge.typeId);
        return { category: 'HUBSPOT_DEFINED', typeId: edge.typeId, label: fact?.label ?? null };
      }),
    }));
}

function labelsBetween(
  fromType: ObjectType,
  fromId: string,
  toType: ObjectType,
  toId: string,
  typeIds: number[],
) {
  return {
    fromObjectTypeId: OBJECT_TYPE_IDS[fromType],
    fromObjectId: Number(fromId),
    toObjectTypeId: OBJECT_TYPE_IDS[toType],
    toObjectId: Number(toId),
    labels: typeIds
      .map((typeId) => associationTypeById(typeId)?.label ?? null)
      .filter((label): label is string => label !== null),
  };
}

export function registerAssociationRoutes(app: FastifyInstance, context: HubspotContext): void {
  const { records, associations } = context;

  const pair = (portal: PortalState, params: PairParams) => {
    const fromType = objectTypeParam(params.fromType);
    const toType = objectTypeParam(params.toType);
    const from = records.require(portal, fromType, params.fromId);
    const to = records.require(portal, toType, params.toId);
    return { from: { type: fromType, id: from.id }, to: { type: toType, id: to.id } };
  };

  app.put<{ Params: PairParams }>(
    '/crm/v4/objects/:fromType/:fromId/associations/default/:toType/:toId',
    async (request, reply) => {
      const { portal, source } = apiCall(request);
      const { from, to } = pair(portal, request.params);
      const startedAt = new Date().toISOString();
      const fact = associations.defaultType(from.type, to.type);
      associations.add(portal, from, to, [fact], source);
      return sendJson(reply, 200, {
        status: 'COMPLETE',
        results: [
          {
            from: { id: from.id },
            to: { id: to.id },
            associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: fact.typeId },
          },
          {
            from: { id: to.id },
            to: { id: from.id },
            associationSpec: {
              associationCategory: 'HUBSPOT_DEFINED',
              associationTypeId: fact.inverseTypeId,
            },
          },
        ],
        startedAt,
        completedAt: new Date().toISOString(),
      });
    },
  );

  app.put<{ Params: PairParams }>(
    '/crm/v4/objects/:fromType/:fromId/associations/:toType/:toId',
    async (request, reply) => {
      const { portal, source } = apiCall(request);
      const { from, to } = pair(portal, request.params);
      const specs = parseBody(labeledAssociationBody, request.body);
      const facts = associations.resolveTypes(from.type, to.type, specs);
      associations.add(portal, from, to, facts, source);
      const typeIds = facts.map((fact) => fact.typeId);
      return sendJson(reply, 201, labelsBetween(from.type, from.id, to.type, to.id, typeIds));
    },
  );

  app.delete<{ Params: PairParams }>(
    '/crm/v4/objects/:fromType/:fromId/associations/:toType/:toId',
    async (request, reply) => {
      const { portal, source } = apiCall(request);
      const fromType = objectTypeParam(request.params.fromType);
      const toType = objectTypeParam(request.params.toType);
      associations.removeAll(
        portal,
        { type: fromType, id: request.params.fromId },
        { type: toType, id: request.params.toId },
        source,
      );
      return sendNoContent(reply);
    },
  );

  app.get<{ Params: ListParams; Querystring: Record<string, unknown> }>(
    '/crm/v4/objects/:fromType/:fromId/associations/:toType',
    async (request, reply) => {
      const { portal } = apiCall(request);
      const fromType = objectTypeParam(request.params.fromType);
      const toType = objectTypeParam(request.params.toType);
      const record = records.require(portal, fromType, request.params.fromId);
      const limit = Math.min(queryInt(request.query.limit, 500), 500);
      const offset = queryInt(request.query.after, 0);
      const all = viewTargets(associations.list(portal, fromType, record.id, toType));
      const body: Record<string, unknown> = { results: all.slice(offset, offset + limit) };
      if (offset + limit < all.length) {
        const after = String(offset + limit);
        const link = new URL(
          `${context.baseUrl(request)}/crm/v4/objects/${fromType}/${record.id}/associations/${toType}`,
        );
        link.searchParams.set('after', after);
        link.searchParams.set('limit', String(limit));
        body.paging = { next: { after, link: link.toString() } };
      }
      return sendJson(reply, 200, body);
    },
  );

  app.post<{ Params: BatchParams }>(
    '/crm/v4/associations/:fromType/:toType/batch/read',
    async (request, reply) => {
      const { portal } = apiCall(request);
      const fromType = objectTypeParam(request.params.fromType);
      const toType = objectTypeParam(request.params.toType);
      const { inputs } = parseBody(associationBatchReadBody, request.body);
      if (inputs.length > 1000) throw hubspotError(400, 'VALIDATION_ERROR', 'Too many inputs: at most 1000.');
      const startedAt = new Date().toISOString();
      const results: unknown[] = [];
      const errors: unknown[] = [];
      for (const { id } of inputs) {
        const targets = viewTargets(associations.list(portal, fromType, id, toType));
        if (targets.length > 0) {
          results.push({ from: { id }, to: targets });
          continue;
        }
        errors.push({
          status: 'error',
          category: 'OBJECT_NOT_FOUND',
          subCategory: 'crm.associations.NO_ASSOCIATIONS_FOUND',
          message: `No ${OBJECT_LABELS[toType].singular} is associated with ${OBJECT_LABELS[fromType].singular} ${id}.`,
          context: { fromObjectId: [id] },
          links: {},
          errors: [],
        });
      }
      const body: Record<string, unknown> = {
        status: 'COMPLETE',
        results,
        startedAt,
        completedAt: new Date().toISOString(),
      };
      if (errors.length === 0) return sendJson(reply, 200, body);
      return sendJson(reply, 207, { ...body, numErrors: errors.length, errors });
    },
  );

  app.post<{ Params: BatchParams }>(
    '/crm/v4/associations/:fromType/:toType/batch/create',
    async (request, reply) => {
      const { portal, source } = apiCall(request);
      const fromType = objectTypeParam(request.params.fromType);
      const toType = objectTypeParam(request.params.toType);
      const { inputs } = parseBody(associationBatchCreateBody, request.body);
      const startedAt = new Date().toISOString();
      const planned = inputs.map((input) => {
        const from = records.require(portal, fromType, input.from.id);
        const to = records.require(portal, toType, input.to.id);
        return { from, to, facts: associations.resolveTypes(fromType, toType, input.types) };
      });
      const results = planned.map(({ from, to, facts }) => {
        associations.add(portal, { type: fromType, id: from.id }, { type: toType, id: to.id }, facts, source);
        return labelsBetween(
          fromType,
          from.id,
          toType,
          to.id,
          facts.map((fact) => fact.typeId),
        );
      });
      return sendJson(reply, 201, {
        status: 'COMPLETE',
        results,
        startedAt,
        completedAt: new Date().toISOString(),
      });
    },
  );

  app.post<{ Params: BatchParams }>(
    '/crm/v4/associations/:fromType/:toType/batch/associate/default',
    async (request, reply) => {
      const { portal, source } = apiCall(request);
      const fromType = objectTypeParam(request.params.fromType);
      const toType = objectTypeParam(request.params.toType);
      const { inputs } = parseBody(associationBatchDefaultBody, request.body);
      const startedAt = new Date().toISOString();
      const fact = associations.defaultType(fromType, toType);
      const planned = inputs.map((input) => ({
        from: records.require(portal, fromType, input.from.id),
        to: records.require(portal, toType, input.to.id),
      }));
      const results = planned.map(({ from, to }) => {
        associations.add(
          portal,
          { type: fromType, id: from.id },
          { type: toType, id: to.id },
          [fact],
          source,
        );
        return {
          from: { id: from.id },
          to: { id: to.id },
          associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: fact.typeId },
        };
      });
      return sendJson(reply, 200, {
        status: 'COMPLETE',
        results,
        startedAt,
        completedAt: new Date().toISOString(),
      });
    },
  );

  app.post<{ Params: BatchParams }>(
    '/crm/v4/associations/:fromType/:toType/batch/archive',
    async (request, reply) => {
      const { portal, source } = apiCall(request);
      const fromType = objectTypeParam(request.params.fromType);
      const toType = objectTypeParam(request.params.toType);
      const { inputs } = parseBody(associationBatchArchiveBody, request.body);
      for (const input of inputs) {
        for (const to of input.to) {
          associations.removeAll(
            portal,
            { type: fromType, id: input.from.id },
            { type: toType, id: to.id },
            source,
          );
        }
      }
      return sendNoContent(reply);
    },
  );

  app.get<{ Params: BatchParams }>(
    '/crm/v4/associations/:fromType/:toType/labels',
    async (request, reply) => {
      const fromType = objectTypeParam(request.params.fromType);
      const toType = objectTypeParam(request.params.toType);
      const results = ASSOCIATION_TYPES.filter((fact) => fact.from === fromType && fact.to === toType).map(
        (fact) => ({
          category: 'HUBSPOT_DEFINED',
          typeId: fact.typeId,
          label: fact.label,
        }),
      );
      return sendJson(reply, 200, { results });
    },
  );
}
