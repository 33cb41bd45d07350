import { type PropertyProblem, propertyValuesError } from './errors.ts';
import {
  ENFORCED_OPTION_PROPERTIES,
  type ObjectType,
  type PropertyDefinition,
  READ_ONLY_PROPERTIES,
  standardProperties,
} from './facts.ts';
import type { PortalState } from './state.ts';

const STANDARD_AT = '2019-08-06T02:43:01.474Z';
const standardCache = new Map<ObjectType, PropertyDefinition[]>();

function standardFor(type: ObjectType): PropertyDefinition[] {
  let cached = standardCache.get(type);
  if (cached === undefined) {
    cached = standardProperties(type, STANDARD_AT);
    standardCache.set(type, cached);
  }
  return cached;
}

export function allProperties(portal: PortalState, type: ObjectType): PropertyDefinition[] {
  return [...standardFor(type), ...portal.customProperties[type]];
}

export function findProperty(
  portal: PortalState,
  type: ObjectType,
  name: string,
): PropertyDefinition | undefined {
  return allProperties(portal, type).find((definition) => definition.name === name);
}

/** Properties that identify one record: `email` for contacts, or any unique-value property. */
export function isIdProperty(portal: PortalState, type: ObjectType, name: string): boolean {
  if (name === 'hs_object_id') return true;
  if (type === 'contacts' && name === 'email') return true;
  return findProperty(portal, type, name)?.hasUniqueValue === true;
}

/** HubSpot stores every value as a string; numbers and booleans sent as JSON are converted. */
function asString(value: unknown): string | null | undefined {
  if (value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return undefined;
}

function isDateLike(value: string): boolean {
  const instant = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return !Number.isNaN(new Date(instant).getTime());
}

/**
 * Checks written values against the portal's properties and turns them into strings.
 * `null` or `''` clears a property. Read-only properties are dropped silently.
 */
export function normalizeProperties(
  portal: PortalState,
  type: ObjectType,
  input: Record<string, unknown>,
): Record<string, string | null> {
  const problems: PropertyProblem[] = [];
  const result: Record<string, string | null> = {};
  for (const [name, raw] of Object.entries(input)) {
    const definition = findProperty(portal, type, name);
    if (definition === undefined) {
      problems.push({ name, error: 'PROPERTY_DOESNT_EXIST', message: `Property "${name}" does not exist` });
      continue;
    }
    if (READ_ONLY_PROPERTIES.has(name)) continue;
    const value = asString(raw);
    if (value === undefined) {
      problems.push({
        name,
        error: 'INVALID_OPTION',
        message: `${JSON.stringify(raw)} is not a valid value`,
      });
      continue;
    }
    if (value === null || value === '') {
      result[name] = null;
      continue;
    }
    const problem = checkValue(definition, value);
    if (problem !== null) problems.push(problem);
    else result[name] = canonical(definition, value);
  }
  if (problems.length > 0) throw propertyValuesError(portal.portalId, problems);
  return result;
}

/**
 * The form HubSpot returns a value in: datetimes as ISO-8601 UTC (whether sent as ms or
 * ISO), dates as `YYYY-MM-DD`, booleans lower case, emails lower case.
 */
function canonical(definition: PropertyDefinition, value: string): string {
  if (definition.name === 'email') return value.trim().toLowerCase();
  if (definition.type === 'bool') return value.toLowerCase();
  if (definition.type === 'datetime' || definition.type === 'date') {
    const instant = new Date(/^\d+$/.test(value) ? Number(value) : Date.parse(value)).toISOString();
    return definition.type === 'date' ? instant.slice(0, 10) : instant;
  }
  return value;
}

function checkValue(definition: PropertyDefinition, value: string): PropertyProblem | null {
  const { name } = definition;
  if (definition.type === 'number' && !Number.isFinite(Number(value))) {
    return { name, error: 'INVALID_INTEGER', message: `${value} was not a valid number.` };
  }
  if ((definition.type === 'date' || definition.type === 'datetime') && !isDateLike(value)) {
    return { name, error: 'INVALID_DATE', message: `${value} was not a valid date.` };
  }
  if (definition.type === 'bool' && !/^(true|false)$/i.test(value)) {
    return {
      name,
      error: 'INVALID_OPTION',
      message: `${value} was not one of the allowed options: [true, false]`,
    };
  }
  if (name === 'email' && !/^[^@\s]+@[^@\s]+$/.test(value.trim())) {
    return { name, error: 'INVALID_EMAIL', message: `Email address ${value} is invalid` };
  }
  const enforced =
    definition.type === 'enumeration' &&
    definition.options.length > 0 &&
    (ENFORCED_OPTION_PROPERTIES.has(name) || !definition.hubspotDefined);
  if (enforced) {
    const allowed = definition.options.map((option) => option.value);
    const values = definition.fieldType === 'checkbox' ? value.split(';') : [value];
    const bad = values.find((candidate) => !allowed.includes(candidate));
    if (bad !== undefined) {
      return {
        name,
        error: 'INVALID_OPTION',
        message: `${bad} was not one of the allowed options: [${allowed.join(', ')}]`,
      };
    }
  }
  return null;
}
