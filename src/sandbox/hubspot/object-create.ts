import type { z } from 'zod';
import type { HubspotContext } from './context.ts';
import { validationError } from './errors.ts';
import type { AssociationTypeFact, ObjectType } from './facts.ts';
import type { ChangeSource } from './records.ts';
import type { createObjectBody } from './schemas.ts';
import type { PortalState, StoredRecord } from './state.ts';

type CreateInput = z.infer<typeof createObjectBody>;

/** A checked create: properties valid, association targets found. Nothing written yet. */
export interface CreatePlan {
  properties: Record<string, unknown>;
  links: Array<{ toType: ObjectType; toId: string; facts: AssociationTypeFact[] }>;
}

/**
 * Checks one create (single or in a batch) without writing, so a batch can refuse a bad
 * input before any record of it exists.
 */
export function planCreate(
  context: Pick<HubspotContext, 'records' | 'associations'>,
  portal: PortalState,
  type: ObjectType,
  input: CreateInput,
): CreatePlan {
  const { records, associations } = context;
  records.prepare(portal, type, input.properties, null);
  const links = (input.associations ?? []).map((association) => {
    // The target's object type is implied by the association type id.
    const typeId = association.types[0]?.associationTypeId ?? 0;
    const fact = associations.resolveAnyTarget(type, typeId);
    if (fact === undefined)
      throw validationError(`${typeId} is not a valid association type id for ${type}.`);
    const target = records.live(portal, fact.to, association.to.id);
    if (target === undefined) throw validationError(`No ${fact.to} with id ${association.to.id} exists.`);
    return {
      toType: fact.to,
      toId: target.id,
      facts: associations.resolveTypes(type, fact.to, association.types),
    };
  });
  return { properties: input.properties, links };
}

export function applyCreate(
  context: Pick<HubspotContext, 'records' | 'associations'>,
  portal: PortalState,
  type: ObjectType,
  plan: CreatePlan,
  source: ChangeSource,
): StoredRecord {
  const record = context.records.create(portal, type, plan.properties, source);
  for (const link of plan.links) {
    context.associations.add(
      portal,
      { type, id: record.id },
      { type: link.toType, id: link.toId },
      link.facts,
      source,
    );
  }
  return record;
}
