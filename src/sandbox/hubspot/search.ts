import type { FastifyInstance } from 'fastify';
import { apiCall, type HubspotContext, objectTypeParam, parseBody, sendJson } from './context.ts';
import { hubspotError, validationError } from './errors.ts';
import { DEFAULTS, type ObjectType, type PropertyDefinition, QUERY_SEARCHED_PROPERTIES } from './facts.ts';
import { viewRecord } from './object-view.ts';
import { allProperties } from './property-schema.ts';
import { type SearchBody, type SearchFilter, searchBody } from './schemas.ts';
import { type PortalState, propertyOf, type StoredRecord } from './state.ts';

/**
 * CRM search: filter groups are ORed, filters inside a group ANDed. Values compare by the
 * property's type: numbers numerically, dates as instants (ms or ISO), everything else as
 * case-insensitive text. Paging is an offset carried in `after`, capped at 10,000 results.
 */

type Comparable = number | string;

function comparable(definition: PropertyDefinition | undefined, value: string): Comparable {
  if (definition?.type === 'number') return Number(value);
  if (definition?.type === 'date' || definition?.type === 'datetime') {
    return /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  }
  return value.toLowerCase();
}

function compare(a: Comparable, b: Comparable): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

function tokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}@._*-]+/u)
    .flatMap((token) => [token, ...token.split(/[@.]/)])
    .filter((token) => token.length > 0);
}

/** A CONTAINS_TOKEN value may use `*` as a wildcard, e.g. `*@example.com`. */
function containsToken(stored: string, wanted: string): boolean {
  const pattern = wanted.toLowerCase();
  if (pattern.includes('*')) {
    const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
    return new RegExp(`^${escaped}$`).test(stored.toLowerCase());
  }
  return tokens(stored).includes(pattern);
}

function matches(
  record: StoredRecord,
  filter: SearchFilter,
  definitions: Map<string, PropertyDefinition>,
): boolean {
  const definition = definitions.get(filter.propertyName);
  const stored = filter.propertyName === 'hs_object_id' ? record.id : propertyOf(record, filter.propertyName);
  const need = (value: string | undefined): string => {
    if (value === undefined) throw validationError(`Filter on ${filter.propertyName} needs a value.`);
    return value;
  };
  switch (filter.operator) {
    case 'HAS_PROPERTY':
      return stored !== undefined;
    case 'NOT_HAS_PROPERTY':
      return stored === undefined;
    case 'IN':
      return (
        stored !== undefined && (filter.values ?? []).some((value) => sameValue(definition, stored, value))
      );
    case 'NOT_IN':
      return (
        stored === undefined || !(filter.values ?? []).some((value) => sameValue(definition, stored, value))
      );
    case 'CONTAINS_TOKEN':
      return stored !== undefined && containsToken(stored, need(filter.value));
    case 'NOT_CONTAINS_TOKEN':
      return stored === undefined || !containsToken(stored, need(filter.value));
    case 'EQ':
      return stored !== undefined && sameValue(definition, stored, need(filter.value));
    case 'NEQ':
      return stored === undefined || !sameValue(definition, stored, need(filter.value));
    case 'BETWEEN': {
      if (stored === undefined) return false;
      const value = comparable(definition, stored);
      return (
        compare(value, comparable(definition, need(filter.value))) >= 0 &&
        compare(value, comparable(definition, need(filter.highValue))) <= 0
      );
    }
    default: {
      if (stored === undefined) return false;
      const order = compare(comparable(definition, stored), comparable(definition, need(filter.value)));
      if (filter.operator === 'LT') return order < 0;
      if (filter.operator === 'LTE') return order <= 0;
      if (filter.operator === 'GT') return order > 0;
      return order >= 0;
    }
  }
}

function sameValue(definition: PropertyDefinition | undefined, stored: string, wanted: string): boolean {
  return compare(comparable(definition, stored), comparable(definition, wanted)) === 0;
}

function matchesQuery(type: ObjectType, record: StoredRecord, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const haystack = QUERY_SEARCHED_PROPERTIES[type].flatMap((name) => tokens(propertyOf(record, name) ?? ''));
  return words.every((word) => haystack.some((token) => token.startsWith(word)));
}

function checkLimits(body: SearchBody): void {
  const groups = body.filterGroups;
  const total = groups.reduce((sum, group) => sum + group.filters.length, 0);
  const tooManyInGroup = groups.some((group) => group.filters.length > DEFAULTS.searchMaxFiltersPerGroup);
  if (groups.length > DEFAULTS.searchMaxFilterGroups || tooManyInGroup || total > DEFAULTS.searchMaxFilters) {
    throw validationError(
      `Too many filters: at most ${DEFAULTS.searchMaxFilterGroups} filterGroups, ${DEFAULTS.searchMaxFiltersPerGroup} filters per group and ${DEFAULTS.searchMaxFilters} filters in total are allowed.`,
    );
  }
  if (body.limit > DEFAULTS.searchMaxLimit) {
    throw validationError(`limit must be at most ${DEFAULTS.searchMaxLimit}.`);
  }
}

export function search(portal: PortalState, type: ObjectType, body: SearchBody) {
  checkLimits(body);
  const definitions = new Map(allProperties(portal, type).map((definition) => [definition.name, definition]));
  for (const group of body.filterGroups) {
    for (const filter of group.filters) {
      if (!definitions.has(filter.propertyName)) {
        throw hubspotError(400, 'VALIDATION_ERROR', `There was a problem with the request.`, {
          errors: [
            {
              message: `Property "${filter.propertyName}" does not exist`,
              code: 'PROPERTY_DOESNT_EXIST',
              context: { propertyName: [filter.propertyName] },
            },
          ],
        });
      }
    }
  }
  let found = Object.values(portal.records[type]).filter((record) => !record.archived);
  if (body.filterGroups.length > 0) {
    found = found.filter((record) =>
      body.filterGroups.some((group) =>
        group.filters.every((filter) => matches(record, filter, definitions)),
      ),
    );
  }
  const query = body.query;
  if (query !== undefined && query.trim() !== '')
    found = found.filter((record) => matchesQuery(type, record, query));

  const sorts = body.sorts.map((sort) =>
    typeof sort === 'string'
      ? { propertyName: sort.replace(/^-/, ''), descending: sort.startsWith('-') }
      : { propertyName: sort.propertyName, descending: sort.direction === 'DESCENDING' },
  );
  found.sort((a, b) => {
    for (const sort of sorts) {
      const definition = definitions.get(sort.propertyName);
      const left = sort.propertyName === 'hs_object_id' ? a.id : propertyOf(a, sort.propertyName);
      const right = sort.propertyName === 'hs_object_id' ? b.id : propertyOf(b, sort.propertyName);
      if (left === right) continue;
      // Records without the property sort last, whatever the direction.
      if (left === undefined) return 1;
      if (right === undefined) return -1;
      const order = compare(comparable(definition, left), comparable(definition, right));
      if (order !== 0) return sort.descending ? -order : order;
    }
    return Number(a.id) - Number(b.id);
  });

  const offset = body.after === undefined ? 0 : Number.parseInt(body.after, 10);
  if (!Number.isFinite(offset) || offset < 0) throw validationError(`Invalid after: ${body.after}`);
  if (offset + body.limit > DEFAULTS.searchMaxResults) {
    throw validationError(`Paging beyond ${DEFAULTS.searchMaxResults} results is not supported.`);
  }
  const page = found.slice(offset, offset + body.limit);
  const result: Record<string, unknown> = {
    total: found.length,
    results: page.map((record) => viewRecord(type, record, body.properties)),
  };
  if (offset + body.limit < found.length) result.paging = { next: { after: String(offset + body.limit) } };
  return result;
}

export function registerSearchRoutes(app: FastifyInstance, _context: HubspotContext): void {
  app.post<{ Params: { type: string } }>('/crm/v3/objects/:type/search', async (request, reply) => {
    const { portal } = apiCall(request);
    const type = objectTypeParam(request.params.type);
    const body = parseBody(searchBody, request.body);
    return sendJson(reply, 200, search(portal, type, body));
  });
}
