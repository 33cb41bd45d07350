import { z } from 'zod';
import { AppError } from './errors.ts';

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Page size, 1 to 200 (default 50)'),
  cursor: z.string().min(1).optional().describe('The `nextCursor` of the previous page'),
};

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Cursors are opaque to callers: the last ID of a page, encoded. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId })).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'after' in parsed &&
      typeof parsed.after === 'string'
    ) {
      return parsed.after;
    }
  } catch {
    // falls through to the error below
  }
  throw new AppError('validation_failed', 'cursor: not a cursor this API returned', {
    details: [{ field: 'cursor', message: 'not a cursor this API returned' }],
  });
}

/** Rows were fetched with `limit + 1`; the extra row only says whether there is a next page. */
export function toPage<Row extends { id: string }, T>(
  rows: Row[],
  limit: number,
  map: (row: Row) => T,
): Page<T> {
  const pageRows = rows.slice(0, limit);
  const last = pageRows.at(-1);
  return {
    data: pageRows.map(map),
    nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null,
  };
}

export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });
