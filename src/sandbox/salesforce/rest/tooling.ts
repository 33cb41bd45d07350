import { z } from 'zod';
import { addCustomField } from '../custom-fields.ts';
import { SfError, sfErrors } from '../errors.ts';
import type { FieldType } from '../schema.ts';
import { runQuery } from '../soql/execute.ts';
import type { RestContext, RestRequest, RestResponse, Route } from './context.ts';
import { CUSTOM_FIELD_OBJECT, customFieldRows } from './tooling-custom-field.ts';

/** Metadata API field types mapped to the describe types the sandbox stores. */
const METADATA_TYPES: Record<string, FieldType> = {
  Text: 'string',
  TextArea: 'textarea',
  LongTextArea: 'textarea',
  Email: 'email',
  Phone: 'phone',
  Url: 'url',
  Number: 'double',
  Currency: 'currency',
  Percent: 'percent',
  Checkbox: 'boolean',
  Date: 'date',
  DateTime: 'datetime',
  Picklist: 'picklist',
};

const customFieldBody = z.object({
  FullName: z.string().regex(/^[A-Za-z]+\.[A-Za-z0-9_]+$/),
  Metadata: z.object({
    type: z.string(),
    label: z.string().optional(),
    length: z.number().int().positive().optional(),
    precision: z.number().int().positive().optional(),
    scale: z.number().int().min(0).optional(),
    externalId: z.boolean().optional(),
    unique: z.boolean().optional(),
    required: z.boolean().optional(),
    defaultValue: z.union([z.string(), z.number(), z.boolean()]).nullable().optional(),
    valueSet: z
      .object({
        valueSetDefinition: z.object({
          value: z.array(z.object({ fullName: z.string(), label: z.string().optional() })),
        }),
      })
      .optional(),
  }),
});

function createCustomField(ctx: RestContext, req: RestRequest): RestResponse {
  const parsed = customFieldBody.safeParse(req.body);
  if (!parsed.success) {
    throw new SfError(
      400,
      'FIELD_INTEGRITY_EXCEPTION',
      `Invalid CustomField: ${parsed.error.issues[0]?.message ?? ''}`,
    );
  }
  const { FullName, Metadata } = parsed.data;
  const [object = '', name = ''] = FullName.split('.');
  const type = METADATA_TYPES[Metadata.type];
  if (!type) {
    throw new SfError(400, 'FIELD_INTEGRITY_EXCEPTION', `Unsupported field type: ${Metadata.type}`, [
      'Metadata',
    ]);
  }
  const defaultValue = Metadata.defaultValue;
  const field = addCustomField(ctx.org, {
    object,
    name,
    label: Metadata.label,
    type,
    length: Metadata.length,
    precision: Metadata.precision,
    scale: Metadata.scale,
    externalId: Metadata.externalId,
    unique: Metadata.unique,
    required: Metadata.required,
    picklistValues: Metadata.valueSet?.valueSetDefinition.value.map((v) => v.fullName),
    defaultValue:
      defaultValue === null || defaultValue === undefined
        ? undefined
        : type === 'boolean'
          ? String(defaultValue) === 'true'
          : defaultValue,
  });
  return { status: 201, body: { id: field.toolingId, success: true, errors: [], warnings: [], infos: [] } };
}

function queryCustomFields(ctx: RestContext, req: RestRequest): RestResponse {
  const soql = req.query.get('q');
  if (soql === null || soql.trim() === '')
    throw new SfError(400, 'MALFORMED_QUERY', 'A query string parameter is required');
  const result = runQuery(ctx.org, soql, { version: ctx.version, includeDeleted: false, now: ctx.now }, [
    { def: CUSTOM_FIELD_OBJECT, rows: customFieldRows(ctx.org) },
  ]);
  const records = result.records.map((r) => ({
    ...r,
    attributes: {
      type: 'CustomField',
      url: `/services/data/v${ctx.version}/tooling/sobjects/CustomField/${String(r.Id ?? '')}`,
    },
  }));
  return {
    status: 200,
    body: {
      size: result.totalSize,
      totalSize: result.totalSize,
      done: true,
      queryLocator: null,
      entityTypeName: 'CustomField',
      records,
    },
  };
}

function readCustomField(ctx: RestContext, _req: RestRequest, params: string[]): RestResponse {
  const row = customFieldRows(ctx.org).find((r) => r.Id === params[0]);
  if (!row) throw sfErrors.notFound();
  const [object = ''] = String(row.FullName).split('.');
  const field = ctx.org.customFields[object]?.find((f) => f.toolingId === row.Id);
  return {
    status: 200,
    body: {
      attributes: {
        type: 'CustomField',
        url: `/services/data/v${ctx.version}/tooling/sobjects/CustomField/${String(row.Id)}`,
      },
      ...row,
      Metadata: {
        label: field?.label ?? null,
        type: field?.type ?? null,
        length: field?.length ?? null,
        externalId: field?.externalId ?? false,
        unique: field?.unique ?? false,
        required: field?.required ?? false,
      },
    },
  };
}

export const toolingRoutes: Route[] = [
  { method: 'POST', pattern: /^\/tooling\/sobjects\/CustomField\/?$/, handle: createCustomField },
  {
    method: 'GET',
    pattern: /^\/tooling\/sobjects\/CustomField\/([A-Za-z0-9]{15,18})\/?$/,
    handle: readCustomField,
  },
  { method: 'GET', pattern: /^\/tooling\/query\/?$/, handle: queryCustomFields },
];
