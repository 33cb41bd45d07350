import { z } from 'zod';
import { FIELD_TYPES, PROPERTY_TYPES } from './facts.ts';

/** Request bodies of the CRM API, as the official client sends them. */

const idValue = z.union([z.string(), z.number()]).transform(String);

export const associationSpec = z.object({
  associationCategory: z.string().optional(),
  associationTypeId: z.number().int(),
});

export const associationForCreate = z.object({
  to: z.object({ id: idValue }),
  types: z.array(associationSpec).min(1),
});

export const propertyValues = z.record(z.string(), z.unknown());

export const createObjectBody = z.object({
  properties: propertyValues.default({}),
  associations: z.array(associationForCreate).optional(),
  objectWriteTraceId: z.string().optional(),
});

export const updateObjectBody = z.object({
  properties: propertyValues,
  objectWriteTraceId: z.string().optional(),
});

export const batchCreateBody = z.object({ inputs: z.array(createObjectBody) });

export const batchReadBody = z.object({
  inputs: z.array(z.object({ id: idValue })),
  properties: z.array(z.string()).optional(),
  propertiesWithHistory: z.array(z.string()).optional(),
  idProperty: z.string().optional(),
});

export const batchUpdateBody = z.object({
  inputs: z.array(
    z.object({
      id: idValue,
      idProperty: z.string().optional(),
      properties: propertyValues,
      objectWriteTraceId: z.string().optional(),
    }),
  ),
});

export const batchArchiveBody = z.object({ inputs: z.array(z.object({ id: idValue })) });

const filter = z.object({
  propertyName: z.string(),
  operator: z.enum([
    'EQ',
    'NEQ',
    'LT',
    'LTE',
    'GT',
    'GTE',
    'BETWEEN',
    'IN',
    'NOT_IN',
    'HAS_PROPERTY',
    'NOT_HAS_PROPERTY',
    'CONTAINS_TOKEN',
    'NOT_CONTAINS_TOKEN',
  ]),
  value: z.union([z.string(), z.number(), z.boolean()]).transform(String).optional(),
  highValue: z.union([z.string(), z.number()]).transform(String).optional(),
  values: z.array(z.union([z.string(), z.number()]).transform(String)).optional(),
});
export type SearchFilter = z.infer<typeof filter>;

/** The client types sorts as strings (`-createdate`); the docs show objects. Both are accepted. */
const sort = z.union([
  z.string(),
  z.object({ propertyName: z.string(), direction: z.enum(['ASCENDING', 'DESCENDING']).default('ASCENDING') }),
]);

export const searchBody = z.object({
  filterGroups: z.array(z.object({ filters: z.array(filter) })).default([]),
  sorts: z.array(sort).default([]),
  query: z.string().optional(),
  properties: z.array(z.string()).optional(),
  limit: z.number().int().min(0).default(10),
  after: z.union([z.string(), z.number()]).transform(String).optional(),
});
export type SearchBody = z.infer<typeof searchBody>;

export const propertyCreateBody = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be lower case letters, digits and underscores'),
  label: z.string().min(1),
  type: z.enum(PROPERTY_TYPES),
  fieldType: z.enum(FIELD_TYPES),
  groupName: z.string().min(1),
  description: z.string().optional(),
  hasUniqueValue: z.boolean().optional(),
  hidden: z.boolean().optional(),
  displayOrder: z.number().int().optional(),
  formField: z.boolean().optional(),
  options: z
    .array(
      z.object({
        label: z.string(),
        value: z.string(),
        displayOrder: z.number().int().optional(),
        hidden: z.boolean().optional(),
        description: z.string().optional(),
      }),
    )
    .optional(),
});

export const propertyUpdateBody = propertyCreateBody.omit({ name: true }).partial();

export const labeledAssociationBody = z.array(associationSpec).min(1);

export const associationBatchCreateBody = z.object({
  inputs: z.array(
    z.object({
      from: z.object({ id: idValue }),
      to: z.object({ id: idValue }),
      types: z.array(associationSpec),
    }),
  ),
});

export const associationBatchDefaultBody = z.object({
  inputs: z.array(z.object({ from: z.object({ id: idValue }), to: z.object({ id: idValue }) })),
});

export const associationBatchReadBody = z.object({
  inputs: z.array(z.object({ id: idValue, after: z.string().optional() })),
});

export const associationBatchArchiveBody = z.object({
  inputs: z.array(z.object({ from: z.object({ id: idValue }), to: z.array(z.object({ id: idValue })) })),
});
