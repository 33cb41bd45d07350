import { duplicateContact, hubspotError, notFound } from './errors.ts';
import { DEFAULT_DEAL_PIPELINE, LAST_MODIFIED_PROPERTY, OBJECT_LABELS, type ObjectType } from './facts.ts';
import { allProperties, normalizeProperties } from './property-schema.ts';
import { type PortalState, propertyOf, type StateKeeper, type StoredRecord } from './state.ts';

/** Who made a change, as webhooks report it (`changeSource`, `sourceId`). */
export interface ChangeSource {
  changeSource: 'API' | 'CRM_UI';
  sourceId?: string;
}

export type RecordChange =
  | { kind: 'creation'; type: ObjectType; objectId: string }
  | {
      kind: 'propertyChange';
      type: ObjectType;
      objectId: string;
      propertyName: string;
      propertyValue: string;
    }
  | { kind: 'deletion'; type: ObjectType; objectId: string }
  | {
      kind: 'associationChange';
      type: ObjectType;
      objectId: string;
      toType: ObjectType;
      toId: string;
      typeId: number;
      removed: boolean;
    };

export type ChangeListener = (portal: PortalState, changes: RecordChange[], source: ChangeSource) => void;

/**
 * Creates, updates and archives records. Every write path (single calls, batches, the web
 * page) goes through here, so validation and webhook events are the same for all of them.
 */
export class RecordService {
  constructor(
    private readonly keeper: StateKeeper,
    private readonly onChange: ChangeListener,
  ) {}

  /** Any record with this id, archived or not. Ids come from URLs, so only own keys count. */
  byId(portal: PortalState, type: ObjectType, id: string): StoredRecord | undefined {
    const records = portal.records[type];
    return Object.hasOwn(records, id) ? records[id] : undefined;
  }

  live(portal: PortalState, type: ObjectType, id: string): StoredRecord | undefined {
    const record = this.byId(portal, type, id);
    return record !== undefined && !record.archived ? record : undefined;
  }

  /** Finds a live record by id or by a unique property (`idProperty`). */
  find(portal: PortalState, type: ObjectType, id: string, idProperty?: string): StoredRecord | undefined {
    if (idProperty === undefined || idProperty === 'hs_object_id') return this.live(portal, type, id);
    const wanted = idProperty === 'email' ? id.trim().toLowerCase() : id;
    return Object.values(portal.records[type]).find(
      (record) => !record.archived && propertyOf(record, idProperty) === wanted,
    );
  }

  require(portal: PortalState, type: ObjectType, id: string, idProperty?: string): StoredRecord {
    const record = this.find(portal, type, id, idProperty);
    if (record === undefined) throw notFound();
    return record;
  }

  /** Checks a write without applying it, so a batch can fail before it changes anything. */
  prepare(
    portal: PortalState,
    type: ObjectType,
    input: Record<string, unknown>,
    existingId: string | null,
  ): Record<string, string | null> {
    const values = normalizeProperties(portal, type, input);
    this.checkUnique(portal, type, values, existingId);
    return values;
  }

  create(
    portal: PortalState,
    type: ObjectType,
    input: Record<string, unknown>,
    source: ChangeSource,
  ): StoredRecord {
    const values = this.prepare(portal, type, input, null);
    const id = String(portal.nextObjectId);
    portal.nextObjectId += 1;
    const now = new Date().toISOString();
    const properties: Record<string, string> = {};
    for (const [name, value] of Object.entries(values)) if (value !== null) properties[name] = value;
    if (type === 'deals' && properties.dealstage !== undefined && properties.pipeline === undefined) {
      properties.pipeline = DEFAULT_DEAL_PIPELINE.id;
    }
    const written = Object.entries(properties);
    properties.createdate = now;
    properties[LAST_MODIFIED_PROPERTY[type]] = now;
    properties.hs_object_id = id;
    if (type === 'deals') applyDealComputed(properties);
    const record: StoredRecord = { id, properties, createdAt: now, updatedAt: now, archived: false };
    portal.records[type][id] = record;
    this.keeper.changed();
    // HubSpot reports a creation and, for each property set by it, a property change.
    const changes: RecordChange[] = [{ kind: 'creation', type, objectId: id }];
    for (const [propertyName, propertyValue] of written) {
      changes.push({ kind: 'propertyChange', type, objectId: id, propertyName, propertyValue });
    }
    this.onChange(portal, changes, source);
    return record;
  }

  update(
    portal: PortalState,
    type: ObjectType,
    record: StoredRecord,
    input: Record<string, unknown>,
    source: ChangeSource,
  ): StoredRecord {
    const values = this.prepare(portal, type, input, record.id);
    const changes: RecordChange[] = [];
    for (const [name, value] of Object.entries(values)) {
      const before = propertyOf(record, name);
      if (value === null) {
        if (before === undefined) continue;
        delete record.properties[name];
      } else {
        if (before === value) continue;
        record.properties[name] = value;
      }
      changes.push({
        kind: 'propertyChange',
        type,
        objectId: record.id,
        propertyName: name,
        propertyValue: value ?? '',
      });
    }
    // Writing the values a record already has changes nothing, not even its modified time.
    if (changes.length === 0) return record;
    const now = new Date().toISOString();
    record.updatedAt = now;
    record.properties[LAST_MODIFIED_PROPERTY[type]] = now;
    if (type === 'deals') applyDealComputed(record.properties);
    this.keeper.changed();
    this.onChange(portal, changes, source);
    return record;
  }

  archive(portal: PortalState, type: ObjectType, record: StoredRecord, source: ChangeSource): void {
    const now = new Date().toISOString();
    record.archived = true;
    record.archivedAt = now;
    record.updatedAt = now;
    // Associations of an archived record disappear from reads; drop both directions.
    portal.associations = portal.associations.filter(
      (edge) =>
        !(
          (edge.fromType === type && edge.fromId === record.id) ||
          (edge.toType === type && edge.toId === record.id)
        ),
    );
    this.keeper.changed();
    this.onChange(portal, [{ kind: 'deletion', type, objectId: record.id }], source);
  }

  private checkUnique(
    portal: PortalState,
    type: ObjectType,
    values: Record<string, string | null>,
    existingId: string | null,
  ): void {
    const uniqueNames = new Set(
      allProperties(portal, type)
        .filter((definition) => definition.hasUniqueValue)
        .map((definition) => definition.name),
    );
    if (type === 'contacts') uniqueNames.add('email');
    for (const name of uniqueNames) {
      const value = values[name];
      if (value === undefined || value === null) continue;
      const clash = Object.values(portal.records[type]).find(
        (record) => !record.archived && record.id !== existingId && propertyOf(record, name) === value,
      );
      if (clash === undefined) continue;
      if (type === 'contacts' && name === 'email') throw duplicateContact(clash.id);
      throw hubspotError(
        409,
        'CONFLICT',
        `A ${OBJECT_LABELS[type].singular} with the unique value ${name}=${value} already exists. Existing ID: ${clash.id}`,
      );
    }
  }
}

/** Stage-derived deal properties HubSpot maintains itself. */
function applyDealComputed(properties: Record<string, string>): void {
  const stage = DEFAULT_DEAL_PIPELINE.stages.find((candidate) => candidate.id === properties.dealstage);
  if (stage === undefined) return;
  properties.hs_deal_stage_probability = stage.probability;
  properties.hs_is_closed = String(stage.isClosed);
  properties.hs_is_closed_won = String(stage.id === 'closedwon');
}
