import type { AssociationService } from './associations.ts';
import { associationTypeById, DEFAULT_RETURNED_PROPERTIES, type ObjectType, objectTypeOf } from './facts.ts';
import { type PortalState, propertyOf, type StoredRecord } from './state.ts';

export interface SimplePublicObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
  associations?: Record<string, { results: Array<{ id: string; type: string }> }>;
}

/**
 * The wire shape of a record. With `requested` the answer holds exactly those properties
 * (`null` when unset); without it, the object's default set; `'all'` returns every stored
 * value (what create and update answer).
 */
export function viewRecord(
  type: ObjectType,
  record: StoredRecord,
  requested: readonly string[] | 'all' | undefined,
): SimplePublicObject {
  const properties: Record<string, string | null> = {};
  if (requested === 'all') {
    Object.assign(properties, record.properties);
  } else {
    const names =
      requested !== undefined && requested.length > 0 ? requested : DEFAULT_RETURNED_PROPERTIES[type];
    for (const name of names) properties[name] = propertyOf(record, name) ?? null;
    // HubSpot always includes these three, whatever was asked for.
    for (const name of ['hs_object_id', 'createdate']) properties[name] = propertyOf(record, name) ?? null;
    const lastModified = type === 'contacts' ? 'lastmodifieddate' : 'hs_lastmodifieddate';
    properties[lastModified] = propertyOf(record, lastModified) ?? null;
  }
  const view: SimplePublicObject = {
    id: record.id,
    properties,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    archived: record.archived,
  };
  if (record.archivedAt !== undefined) view.archivedAt = record.archivedAt;
  return view;
}

/** Adds the v3 `associations` block for the requested object types (omitted when empty). */
export function withAssociations(
  view: SimplePublicObject,
  portal: PortalState,
  type: ObjectType,
  associations: AssociationService,
  toTypeNames: readonly string[],
): SimplePublicObject {
  const block: Record<string, { results: Array<{ id: string; type: string }> }> = {};
  for (const name of toTypeNames) {
    const toType = objectTypeOf(name);
    if (toType === undefined) continue;
    const results: Array<{ id: string; type: string }> = [];
    for (const [toId, edges] of associations.list(portal, type, view.id, toType)) {
      for (const edge of edges) {
        const fact = associationTypeById(edge.typeId);
        if (fact !== undefined) results.push({ id: toId, type: fact.v3Name });
      }
    }
    if (results.length > 0) block[toType] = { results };
  }
  if (Object.keys(block).length > 0) view.associations = block;
  return view;
}
