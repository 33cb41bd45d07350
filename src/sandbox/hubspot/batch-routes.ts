import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  apiCall,
  type HubspotContext,
  objectTypeParam,
  parseBody,
  queryBool,
  sendJson,
  sendNoContent,
} from './context.ts';
import { type ErrorBody, errorBody, HubspotError, validationError } from './errors.ts';
import { DEFAULTS, OBJECT_LABELS, type ObjectType } from './facts.ts';
import { applyCreate, planCreate } from './object-create.ts';
import { viewRecord } from './object-view.ts';
import { isIdProperty } from './property-schema.ts';
import { batchArchiveBody, batchCreateBody, batchReadBody, batchUpdateBody } from './schemas.ts';
import type { StoredRecord } from './state.ts';

type Params = { type: string };
type Query = Record<string, unknown>;

interface BatchError {
  status: 'error';
  category: string;
  message: string;
  context: Record<string, string[]>;
  links: Record<string, string>;
  errors: unknown[];
  subCategory?: string;
}

function checkSize(count: number): void {
  if (count > DEFAULTS.batchMaxInputs) {
    throw validationError(
      `Too many inputs. The maximum number of inputs supported in a batch request is ${DEFAULTS.batchMaxInputs}. You sent ${count}.`,
    );
  }
}

/** `{ status, results, startedAt, completedAt }`; 207 with `errors` and `numErrors` when partial. */
function batchAnswer(results: unknown[], errors: BatchError[], startedAt: string, okStatus: number) {
  const body: Record<string, unknown> = {
    status: 'COMPLETE',
    results,
    startedAt,
    completedAt: new Date().toISOString(),
  };
  if (errors.length === 0) return { statusCode: okStatus, body };
  return { statusCode: 207, body: { ...body, numErrors: errors.length, errors } };
}

/** A batch read or update answer: 200, or 207 naming the IDs that were not found. */
function sendWithMissing(
  reply: FastifyReply,
  type: ObjectType,
  results: unknown[],
  missing: string[],
  startedAt: string,
) {
  const answer = batchAnswer(
    results,
    missing.length > 0 ? [notFoundError(type, missing)] : [],
    startedAt,
    200,
  );
  return sendJson(reply, answer.statusCode, answer.body);
}

function asBatchError(body: ErrorBody, context: Record<string, string[]> = {}): BatchError {
  const error: BatchError = {
    status: 'error',
    category: typeof body.category === 'string' ? body.category : 'VALIDATION_ERROR',
    message: body.message,
    context,
    links: {},
    errors: Array.isArray(body.errors) ? body.errors : [],
  };
  if (typeof body.subCategory === 'string') error.subCategory = body.subCategory;
  return error;
}

function notFoundError(type: ObjectType, ids: string[]): BatchError {
  return {
    status: 'error',
    category: 'OBJECT_NOT_FOUND',
    message: `Could not get some ${OBJECT_LABELS[type].upper} objects, they may be deleted or not exist. Check that ids are valid.`,
    context: { ids },
    links: {},
    errors: [],
  };
}

/** Duplicate emails inside one batch clash with each other, as with existing records. */
function checkBatchDuplicates(type: ObjectType, inputs: Array<Record<string, unknown>>): void {
  if (type !== 'contacts') return;
  const seen = new Set<string>();
  for (const properties of inputs) {
    const email = properties.email;
    if (typeof email !== 'string' || email === '') continue;
    const key = email.trim().toLowerCase();
    if (seen.has(key)) {
      throw new HubspotError(
        400,
        errorBody('VALIDATION_ERROR', `Duplicate IDs found in batch input: [${key}]. IDs must be unique`),
      );
    }
    seen.add(key);
  }
}

export function registerBatchRoutes(app: FastifyInstance, context: HubspotContext): void {
  const { records } = context;

  app.post<{ Params: Params }>('/crm/v3/objects/:type/batch/create', async (request, reply) => {
    const { portal, source } = apiCall(request);
    const type = objectTypeParam(request.params.type);
    const { inputs } = parseBody(batchCreateBody, request.body);
    checkSize(inputs.length);
    const startedAt = new Date().toISOString();
    checkBatchDuplicates(
      type,
      inputs.map((input) => input.properties),
    );
    // Without a trace id on every input, one bad input fails the whole batch before any write.
    const multiStatus = inputs.length > 0 && inputs.every((input) => input.objectWriteTraceId !== undefined);
    const plans = inputs.map((input) => {
      try {
        return planCreate(context, portal, type, input);
      } catch (error) {
        if (error instanceof HubspotError && multiStatus) return error;
        throw error;
      }
    });
    const results: unknown[] = [];
    const errors: BatchError[] = [];
    inputs.forEach((input, index) => {
      const plan = plans[index];
      if (plan === undefined) return;
      if (plan instanceof HubspotError) {
        errors.push(asBatchError(plan.body, { objectWriteTraceId: [input.objectWriteTraceId ?? ''] }));
        return;
      }
      const view = viewRecord(type, applyCreate(context, portal, type, plan, source), 'all');
      results.push(
        input.objectWriteTraceId === undefined
          ? view
          : { ...view, objectWriteTraceId: input.objectWriteTraceId },
      );
    });
    const answer = batchAnswer(results, errors, startedAt, 201);
    return sendJson(reply, answer.statusCode, answer.body);
  });

  app.post<{ Params: Params; Querystring: Query }>(
    '/crm/v3/objects/:type/batch/read',
    async (request, reply) => {
      const { portal } = apiCall(request);
      const type = objectTypeParam(request.params.type);
      const body = parseBody(batchReadBody, request.body);
      checkSize(body.inputs.length);
      if (body.idProperty !== undefined && !isIdProperty(portal, type, body.idProperty)) {
        throw validationError(`${body.idProperty} is not a unique property of ${type}.`);
      }
      const startedAt = new Date().toISOString();
      const archived = queryBool(request.query.archived);
      const missing: string[] = [];
      const results: unknown[] = [];
      for (const { id } of body.inputs) {
        const record = archived
          ? archivedOnly(records.byId(portal, type, id))
          : records.find(portal, type, id, body.idProperty);
        if (record === undefined) missing.push(id);
        else results.push(viewRecord(type, record, body.properties));
      }
      return sendWithMissing(reply, type, results, missing, startedAt);
    },
  );

  app.post<{ Params: Params }>('/crm/v3/objects/:type/batch/update', async (request, reply) => {
    const { portal, source } = apiCall(request);
    const type = objectTypeParam(request.params.type);
    const { inputs } = parseBody(batchUpdateBody, request.body);
    checkSize(inputs.length);
    const startedAt = new Date().toISOString();
    const found = inputs.map((input) => records.find(portal, type, input.id, input.idProperty));
    inputs.forEach((input, index) => {
      const record = found[index];
      if (record !== undefined) records.prepare(portal, type, input.properties, record.id);
    });
    const missing: string[] = [];
    const results: unknown[] = [];
    inputs.forEach((input, index) => {
      const record = found[index];
      if (record === undefined) {
        missing.push(input.id);
        return;
      }
      records.update(portal, type, record, input.properties, source);
      results.push(viewRecord(type, record, 'all'));
    });
    return sendWithMissing(reply, type, results, missing, startedAt);
  });

  app.post<{ Params: Params }>('/crm/v3/objects/:type/batch/upsert', async (request, reply) => {
    const { portal, source } = apiCall(request);
    const type = objectTypeParam(request.params.type);
    const { inputs } = parseBody(batchUpdateBody, request.body);
    checkSize(inputs.length);
    const startedAt = new Date().toISOString();
    const keys = new Set<string>();
    const plans = inputs.map((input) => {
      const idProperty = input.idProperty ?? 'hs_object_id';
      if (!isIdProperty(portal, type, idProperty)) {
        throw validationError(
          `${idProperty} is not a unique property of ${type} and cannot be used to upsert.`,
        );
      }
      const key = `${idProperty}=${idProperty === 'email' ? input.id.toLowerCase() : input.id}`;
      if (keys.has(key))
        throw validationError(`Duplicate IDs found in batch input: [${input.id}]. IDs must be unique`);
      keys.add(key);
      const existing = records.find(portal, type, input.id, idProperty);
      // Creating through upsert stores the id value in its property (e.g. the email).
      const properties =
        existing === undefined && idProperty !== 'hs_object_id'
          ? { ...input.properties, [idProperty]: input.id }
          : input.properties;
      records.prepare(portal, type, properties, existing?.id ?? null);
      return { existing, properties, idProperty, input };
    });
    const results = plans.map(({ existing, properties, input }) => {
      const record: StoredRecord =
        existing === undefined
          ? records.create(portal, type, properties, source)
          : records.update(portal, type, existing, properties, source);
      const view = { ...viewRecord(type, record, 'all'), new: existing === undefined };
      return input.objectWriteTraceId === undefined
        ? view
        : { ...view, objectWriteTraceId: input.objectWriteTraceId };
    });
    const answer = batchAnswer(results, [], startedAt, 200);
    return sendJson(reply, answer.statusCode, answer.body);
  });

  app.post<{ Params: Params }>('/crm/v3/objects/:type/batch/archive', async (request, reply) => {
    const { portal, source } = apiCall(request);
    const type = objectTypeParam(request.params.type);
    const { inputs } = parseBody(batchArchiveBody, request.body);
    checkSize(inputs.length);
    for (const { id } of inputs) {
      const record = records.live(portal, type, id);
      if (record !== undefined) records.archive(portal, type, record, source);
    }
    return sendNoContent(reply);
  });
}

function archivedOnly(record: StoredRecord | undefined): StoredRecord | undefined {
  return record?.archived === true ? record : undefined;
}
