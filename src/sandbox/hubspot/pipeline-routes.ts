import type { FastifyInstance } from 'fastify';
import { type HubspotContext, objectTypeParam, sendJson } from './context.ts';
import { notFound } from './errors.ts';
import { DEFAULT_DEAL_PIPELINE } from './facts.ts';

const CREATED_AT = '2019-08-06T02:43:01.474Z';

function viewStage(stage: (typeof DEFAULT_DEAL_PIPELINE.stages)[number], displayOrder: number) {
  return {
    label: stage.label,
    displayOrder,
    // Stage metadata values are strings on the wire.
    metadata: { isClosed: String(stage.isClosed), probability: stage.probability },
    id: stage.id,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    archived: false,
    writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
  };
}

function viewPipeline() {
  return {
    label: DEFAULT_DEAL_PIPELINE.label,
    displayOrder: 0,
    id: DEFAULT_DEAL_PIPELINE.id,
    stages: DEFAULT_DEAL_PIPELINE.stages.map(viewStage),
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    archived: false,
  };
}

/** Deals have the default sales pipeline; the sandbox has no pipelines for other objects. */
function pipelinesFor(typeName: string) {
  return objectTypeParam(typeName) === 'deals' ? [viewPipeline()] : [];
}

export function registerPipelineRoutes(app: FastifyInstance, _context: HubspotContext): void {
  app.get<{ Params: { type: string } }>('/crm/v3/pipelines/:type', async (request, reply) =>
    sendJson(reply, 200, { results: pipelinesFor(request.params.type) }),
  );

  app.get<{ Params: { type: string; pipelineId: string } }>(
    '/crm/v3/pipelines/:type/:pipelineId',
    async (request, reply) => {
      const pipeline = pipelinesFor(request.params.type).find((one) => one.id === request.params.pipelineId);
      if (pipeline === undefined) throw notFound(`Unable to find pipeline ${request.params.pipelineId}`);
      return sendJson(reply, 200, pipeline);
    },
  );

  app.get<{ Params: { type: string; pipelineId: string } }>(
    '/crm/v3/pipelines/:type/:pipelineId/stages',
    async (request, reply) => {
      const pipeline = pipelinesFor(request.params.type).find((one) => one.id === request.params.pipelineId);
      if (pipeline === undefined) throw notFound(`Unable to find pipeline ${request.params.pipelineId}`);
      return sendJson(reply, 200, { results: pipeline.stages });
    },
  );

  app.get<{ Params: { type: string; pipelineId: string; stageId: string } }>(
    '/crm/v3/pipelines/:type/:pipelineId/stages/:stageId',
    async (request, reply) => {
      const pipeline = pipelinesFor(request.params.type).find((one) => one.id === request.params.pipelineId);
      const stage = pipeline?.stages.find((one) => one.id === request.params.stageId);
      if (stage === undefined) throw notFound(`Unable to find stage ${request.params.stageId}`);
      return sendJson(reply, 200, stage);
    },
  );
}
