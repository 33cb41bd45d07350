/** A field reference as written, e.g. `Account.Name`, with its column for error messages. */
export interface FieldRef {
  path: string[];
  column: number;
}

export type Literal =
  | { kind: 'string'; value: string /** As a LIKE pattern (see the lexer). */; pattern?: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'datetime'; ms: number }
  | { kind: 'date'; ms: number }
  /** A date literal such as TODAY or LAST_N_DAYS:7: the half-open range [start, end). */
  | { kind: 'range'; start: number; end: number };

export type CompareOp = '=' | '!=' | '<' | '>' | '<=' | '>=' | 'like';

export type Condition =
  | { kind: 'and'; items: Condition[] }
  | { kind: 'or'; items: Condition[] }
  | { kind: 'not'; item: Condition }
  | { kind: 'compare'; field: FieldRef; op: CompareOp; value: Literal }
  | { kind: 'in'; field: FieldRef; values: Literal[]; negate: boolean };

export interface OrderItem {
  field: FieldRef;
  descending: boolean;
  nullsLast: boolean;
}

export interface SoqlQuery {
  /** Empty when the query is `SELECT COUNT() ...`. */
  fields: FieldRef[];
  /** Child-relationship subqueries, e.g. `(SELECT Id FROM Contacts)`; `object` is the relationship name. */
  subqueries: SoqlQuery[];
  countOnly: boolean;
  object: string;
  objectColumn: number;
  where: Condition | null;
  orderBy: OrderItem[];
  limit: number | null;
  offset: number | null;
}
