import type { FastifyInstance } from 'fastify';
import {
  apiCall,
  type HubspotContext,
  objectTypeParam,
  parseBody,
  queryBool,
  sendJson,
  sendNoContent,
} from './context.ts';
import { hubspotError, notFound } from './errors.ts';
import type { PropertyDefinition } from './facts.ts';
import { allProperties, findProperty } from './property-schema.ts';
import { propertyCreateBody, propertyUpdateBody } from './schemas.ts';

type TypeParams = { type: string };
type NameParams = { type: string; name: string };

/** The wire shape of a property definition (`Property` in the client's models). */
function viewProperty(definition: PropertyDefinition) {
  return {
    updatedAt: definition.updatedAt,
    createdAt: definition.createdAt,
    name: definition.name,
    label: definition.label,
    type: definition.type,
    fieldType: definition.fieldType,
    description: definition.description,
    groupName: definition.groupName,
    options: definition.options,
    displayOrder: definition.displayOrder,
    calculated: false,
    externalOptions: false,
    hasUniqueValue: definition.hasUniqueValue,
    hidden: false,
    hubspotDefined: definition.hubspotDefined,
    modificationMetadata: {
      archivable: !definition.hubspotDefined,
      readOnlyDefinition: definition.hubspotDefined,
      readOnlyValue: definition.readOnlyValue,
    },
    formField: !definition.readOnlyValue,
    archived: false,
  };
}

export function registerPropertyRoutes(app: FastifyInstance, context: HubspotContext): void {
  app.get<{ Params: TypeParams; Querystring: Record<string, unknown> }>(
    '/crm/v3/properties/:type',
    async (request, reply) => {
      const { portal } = apiCall(request);
      const type = objectTypeParam(request.params.type);
      // Archived properties are not kept, so an archived listing is empty.
      const results = queryBool(request.query.archived) ? [] : allProperties(portal, type).map(viewProperty);
      return sendJson(reply, 200, { results });
    },
  );

  app.get<{ Params: NameParams }>('/crm/v3/properties/:type/:name', async (request, reply) => {
    const { portal } = apiCall(request);
    const type = objectTypeParam(request.params.type);
    const definition = findProperty(portal, type, request.params.name);
    if (definition === undefined) throw notFound(`Unable to find property ${request.params.name}`);
    return sendJson(reply, 200, viewProperty(definition));
  });

  app.post<{ Params: TypeParams }>('/crm/v3/properties/:type', async (request, reply) => {
    const { portal } = apiCall(request);
    const type = objectTypeParam(request.params.type);
    const input = parseBody(propertyCreateBody, request.body);
    if (findProperty(portal, type, input.name) !== undefined) {
      throw hubspotError(409, 'OBJECT_ALREADY_EXISTS', `Property named '${input.name}' already exists.`);
    }
    const now = new Date().toISOString();
    const definition: PropertyDefinition = {
      name: input.name,
      label: input.label,
      type: input.type,
      fieldType: input.fieldType,
      groupName: input.groupName,
      description: input.description ?? '',
      options: (input.options ?? []).map((option, index) => ({
        label: option.label,
        value: option.value,
        displayOrder: option.displayOrder ?? index,
        hidden: option.hidden ?? false,
        ...(option.description === undefined ? {} : { description: option.description }),
      })),
      hasUniqueValue: input.hasUniqueValue ?? false,
      hubspotDefined: false,
      readOnlyValue: false,
      displayOrder: input.displayOrder ?? -1,
      createdAt: now,
      updatedAt: now,
    };
    portal.customProperties[type].push(definition);
    context.keeper.changed();
    return sendJson(reply, 201, viewProperty(definition));
  });

  app.patch<{ Params: NameParams }>('/crm/v3/properties/:type/:name', async (request, reply) => {
    const { portal } = apiCall(request);
    const type = objectTypeParam(request.params.type);
    const input = parseBody(propertyUpdateBody, request.body);
    const definition = portal.customProperties[type].find(
      (candidate) => candidate.name === request.params.name,
    );
    if (definition === undefined) {
      if (findProperty(portal, type, request.params.name) !== undefined) {
        throw hubspotError(400, 'VALIDATION_ERROR', `Property ${request.params.name} is read-only.`);
      }
      throw notFound(`Unable to find property ${request.params.name}`);
    }
    if (input.label !== undefined) definition.label = input.label;
    if (input.description !== undefined) definition.description = input.description;
    if (input.groupName !== undefined) definition.groupName = input.groupName;
    if (input.fieldType !== undefined) definition.fieldType = input.fieldType;
    if (input.type !== undefined) definition.type = input.type;
    if (input.displayOrder !== undefined) definition.displayOrder = input.displayOrder;
    if (input.options !== undefined) {
      definition.options = input.options.map((option, index) => ({
        label: option.label,
        value: option.value,
        displayOrder: option.displayOrder ?? index,
        hidden: option.hidden ?? false,
      }));
    }
    definition.updatedAt = new Date().toISOString();
    context.keeper.changed();
    return sendJson(reply, 200, viewProperty(definition));
  });

  app.delete<{ Params: NameParams }>('/crm/v3/properties/:type/:name', async (request, reply) => {
    const { portal } = apiCall(request);
    const type = objectTypeParam(request.params.type);
    const before = portal.customProperties[type].length;
    portal.customProperties[type] = portal.customProperties[type].filter(
      (candidate) => candidate.name !== request.params.name,
    );
    if (portal.customProperties[type].length === before)
      throw notFound(`Unable to find property ${request.params.name}`);
    context.keeper.changed();
    return sendNoContent(reply);
  });
}
