import { hubspotError } from './errors.ts';
import {
  type AssociationTypeFact,
  associationTypeById,
  defaultAssociationType,
  OBJECT_LABELS,
  type ObjectType,
} from './facts.ts';
import type { ChangeListener, ChangeSource, RecordChange } from './records.ts';
import type { AssociationEdge, PortalState, StateKeeper } from './state.ts';

export interface AssociationSpecInput {
  associationCategory?: string | undefined;
  associationTypeId: number;
}

/**
 * Associations between records. Each edge is stored in both directions with the inverse
 * type id, because HubSpot reads them from either side.
 */
export class AssociationService {
  constructor(
    private readonly keeper: StateKeeper,
    private readonly onChange: ChangeListener,
  ) {}

  /** Type facts for a write; unknown ids or ids for another pair of objects are a 400. */
  resolveTypes(from: ObjectType, to: ObjectType, specs: AssociationSpecInput[]): AssociationTypeFact[] {
    return specs.map((spec) => {
      const fact = associationTypeById(spec.associationTypeId);
      if (fact === undefined || fact.from !== from || fact.to !== to) {
        throw hubspotError(
          400,
          'VALIDATION_ERROR',
          `${spec.associationTypeId} is not a valid association type id between ${OBJECT_LABELS[from].singular} and ${OBJECT_LABELS[to].singular}.`,
        );
      }
      return fact;
    });
  }

  /** On create, the target's type is only known through the association type id. */
  resolveAnyTarget(from: ObjectType, typeId: number): AssociationTypeFact | undefined {
    const fact = associationTypeById(typeId);
    return fact?.from === from ? fact : undefined;
  }

  defaultType(from: ObjectType, to: ObjectType): AssociationTypeFact {
    const fact = defaultAssociationType(from, to);
    if (fact === undefined) {
      throw hubspotError(
        400,
        'VALIDATION_ERROR',
        `There is no default association between ${OBJECT_LABELS[from].singular} and ${OBJECT_LABELS[to].singular}.`,
      );
    }
    return fact;
  }

  add(
    portal: PortalState,
    from: { type: ObjectType; id: string },
    to: { type: ObjectType; id: string },
    facts: AssociationTypeFact[],
    source: ChangeSource,
  ): void {
    const changes: RecordChange[] = [];
    for (const fact of facts) {
      if (this.has(portal, from.type, from.id, to.type, to.id, fact.typeId)) continue;
      portal.associations.push(
        { fromType: from.type, fromId: from.id, toType: to.type, toId: to.id, typeId: fact.typeId },
        { fromType: to.type, fromId: to.id, toType: from.type, toId: from.id, typeId: fact.inverseTypeId },
      );
      changes.push(...changePair(from, to, fact, false));
    }
    if (changes.length === 0) return;
    this.keeper.changed();
    this.onChange(portal, changes, source);
  }

  /** Removes every association between two records (both directions). */
  removeAll(
    portal: PortalState,
    from: { type: ObjectType; id: string },
    to: { type: ObjectType; id: string },
    source: ChangeSource,
  ): void {
    const removed = this.between(portal, from.type, from.id, to.type, to.id);
    if (removed.length === 0) return;
    portal.associations = portal.associations.filter(
      (edge) => !isBetween(edge, from, to) && !isBetween(edge, to, from),
    );
    this.keeper.changed();
    const changes = removed.flatMap((edge) => {
      const fact = associationTypeById(edge.typeId);
      return fact === undefined ? [] : changePair(from, to, fact, true);
    });
    this.onChange(portal, changes, source);
  }

  /** Edges leaving one record towards a type, grouped by the other record. */
  list(
    portal: PortalState,
    fromType: ObjectType,
    fromId: string,
    toType: ObjectType,
  ): Map<string, AssociationEdge[]> {
    const grouped = new Map<string, AssociationEdge[]>();
    for (const edge of portal.associations) {
      if (edge.fromType !== fromType || edge.fromId !== fromId || edge.toType !== toType) continue;
      const group = grouped.get(edge.toId) ?? [];
      group.push(edge);
      grouped.set(edge.toId, group);
    }
    return grouped;
  }

  private between(
    portal: PortalState,
    fromType: ObjectType,
    fromId: string,
    toType: ObjectType,
    toId: string,
  ): AssociationEdge[] {
    return portal.associations.filter((edge) =>
      isBetween(edge, { type: fromType, id: fromId }, { type: toType, id: toId }),
    );
  }

  private has(
    portal: PortalState,
    fromType: ObjectType,
    fromId: string,
    toType: ObjectType,
    toId: string,
    typeId: number,
  ): boolean {
    return this.between(portal, fromType, fromId, toType, toId).some((edge) => edge.typeId === typeId);
  }
}

function isBetween(
  edge: AssociationEdge,
  from: { type: ObjectType; id: string },
  to: { type: ObjectType; id: string },
): boolean {
  return (
    edge.fromType === from.type && edge.fromId === from.id && edge.toType === to.type && edge.toId === to.id
  );
}

function changePair(
  from: { type: ObjectType; id: string },
  to: { type: ObjectType; id: string },
  fact: AssociationTypeFact,
  removed: boolean,
): RecordChange[] {
  return [
    {
      kind: 'associationChange',
      type: from.type,
      objectId: from.id,
      toType: to.type,
      toId: to.id,
      typeId: fact.typeId,
      removed,
    },
    {
      kind: 'associationChange',
      type: to.type,
      objectId: to.id,
      toType: from.type,
      toId: from.id,
      typeId: fact.inverseTypeId,
      removed,
    },
  ];
}
