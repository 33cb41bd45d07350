import { invalidRequest } from './errors.ts';
import type { Customer } from './state.ts';

/**
 * The part of Stripe's search query language the sandbox understands: clauses
 * `field:'value'` (or double quotes) joined by `AND`, over `email`, `name`, `phone` and
 * `metadata['key']`. Matching is exact and, like Stripe's for these fields,
 * case-insensitive. Anything else answers 400 naming the query.
 */
type Clause =
  | { field: 'email' | 'name' | 'phone'; value: string }
  | { field: 'metadata'; key: string; value: string };

const CLAUSE =
  /^\s*(?:(email|name|phone)|metadata\[\s*(['"])([^'"]+)\2\s*\])\s*:\s*(['"])((?:\\.|(?!\4).)*)\4\s*$/;

export function parseCustomerQuery(query: string): Clause[] {
  if (query.trim() === '')
    throw invalidRequest('Missing required param: query.', 'query', 'parameter_missing');
  return query.split(/\s+AND\s+/).map((part) => {
    const match = CLAUSE.exec(part);
    if (match === null) {
      throw invalidRequest(
        `Invalid search query: '${part.trim()}'. The sandbox understands field:'value' clauses over email, name, phone and metadata['key'], joined by AND.`,
        'query',
      );
    }
    const value = (match[5] ?? '').replace(/\\(.)/g, '$1');
    if (match[1] !== undefined) return { field: match[1] as 'email' | 'name' | 'phone', value };
    return { field: 'metadata', key: match[3] ?? '', value };
  });
}

export function matchesQuery(customer: Customer, clauses: Clause[]): boolean {
  return clauses.every((clause) => {
    const actual =
      clause.field === 'metadata'
        ? Object.hasOwn(customer.metadata, clause.key)
          ? customer.metadata[clause.key]
          : undefined
        : customer[clause.field];
    return typeof actual === 'string' && actual.toLowerCase() === clause.value.toLowerCase();
  });
}

/** Search pages are opaque tokens; this one carries the offset. */
export function pageToken(offset: number): string {
  return `page_${Buffer.from(`o:${offset}`).toString('base64url')}`;
}

export function offsetOf(page: string | null | undefined): number {
  if (page === null || page === undefined) return 0;
  const decoded = Buffer.from(page.replace(/^page_/, ''), 'base64url').toString('utf8');
  const match = /^o:(\d+)$/.exec(decoded);
  if (match?.[1] === undefined) throw invalidRequest(`Invalid page: ${page}`, 'page');
  return Number(match[1]);
}
