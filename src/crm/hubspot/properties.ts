import type { Property } from '@hubspot/api-client/lib/codegen/crm/properties/models/Property.js';
import {
  PropertyCreateFieldTypeEnum,
  PropertyCreateTypeEnum,
} from '@hubspot/api-client/lib/codegen/crm/properties/models/PropertyCreate.js';
import { CrmError } from '../errors.ts';
import type { CrmField, CrmFieldType, CrmSession, NewField } from '../types.ts';
import { type CallOptions, type HubspotApis, sessionApis } from './client.ts';
import { hubspotCall } from './errors.ts';
import {
  DEAL_STAGE_PROPERTY,
  OBJECTS,
  TYPES_BY_FIELD_TYPE,
  TYPES_BY_PROPERTY_NAME,
  TYPES_BY_PROPERTY_TYPE,
} from './facts.ts';

/** HubSpot properties (the properties API) as CrmFields, and new refsync properties. */

function fieldType(property: Property): CrmFieldType {
  return (
    TYPES_BY_PROPERTY_NAME[property.name] ??
    TYPES_BY_FIELD_TYPE[property.fieldType] ??
    TYPES_BY_PROPERTY_TYPE[property.type] ??
    'other'
  );
}

export function toCrmField(property: Property): CrmField {
  // Calculated properties are filled by HubSpot; a value sent for them is dropped.
  const writable = property.modificationMetadata?.readOnlyValue !== true && property.calculated !== true;
  return {
    name: property.name,
    label: property.label,
    type: fieldType(property),
    // HubSpot requires no property on create through the API (an email is not even needed).
    required: false,
    createable: writable,
    updateable: writable,
    custom: property.hubspotDefined !== true,
    // Hidden options are kept on old records but cannot be picked in HubSpot any more.
    ...(property.type === 'enumeration' && property.options.some((option) => option.hidden !== true)
      ? {
          options: property.options
            .filter((option) => option.hidden !== true)
            .map((option) => ({ value: option.value, label: option.label || option.value })),
        }
      : {}),
  };
}

/**
 * A deal's stage is one of its pipelines' stages: the stages of every pipeline, in pipeline
 * order, each with its pipeline's label as group, are the options (the property's own options
 * may list only the default pipeline). A stage the property lists and no pipeline has stays.
 */
async function withDealStages(apis: HubspotApis, fields: CrmField[]): Promise<CrmField[]> {
  const pipelines = await hubspotCall(() => apis.pipelines.getAll('deals'));
  const stages = pipelines.results
    .filter((pipeline) => pipeline.archived !== true)
    .flatMap((pipeline) =>
      [...pipeline.stages]
        .filter((stage) => stage.archived !== true)
        .sort((a, b) => a.displayOrder - b.displayOrder)
        .map((stage) => ({ value: stage.id, label: stage.label, group: pipeline.label })),
    );
  return fields.map((field) => {
    if (field.name !== DEAL_STAGE_PROPERTY) return field;
    const staged = new Set(stages.map((stage) => stage.value));
    const others = (field.options ?? []).filter((option) => !staged.has(option.value));
    return { ...field, options: [...stages, ...others] };
  });
}

export async function describe(session: CrmSession, object: string, call: CallOptions): Promise<CrmField[]> {
  const apis = sessionApis(session, call);
  const answer = await hubspotCall(() => apis.properties.getAll(object));
  const fields = answer.results.filter((property) => property.archived !== true).map(toCrmField);
  return object === 'deals' ? withDealStages(apis, fields) : fields;
}

/** How each kind of new field is stored: HubSpot has no url type, so a url is text. */
const NEW_FIELD_TYPES: Record<NewField['type'], PropertyCreateFieldTypeEnum> = {
  string: PropertyCreateFieldTypeEnum.Text,
  textarea: PropertyCreateFieldTypeEnum.Textarea,
  url: PropertyCreateFieldTypeEnum.Text,
};

export async function createField(
  session: CrmSession,
  object: string,
  field: NewField,
  call: CallOptions,
): Promise<void> {
  const facts = OBJECTS[object];
  if (facts === undefined) {
    throw new CrmError(
      'validation',
      'UNKNOWN_OBJECT',
      `refsync cannot create properties on HubSpot ${object}`,
    );
  }
  const apis = sessionApis(session, call);
  await hubspotCall(() =>
    apis.properties.create(object, {
      name: field.name,
      label: field.label,
      type: PropertyCreateTypeEnum.String,
      fieldType: NEW_FIELD_TYPES[field.type],
      groupName: facts.propertyGroup,
      description: 'Written by refsync.',
      formField: false,
    }),
  );
}
