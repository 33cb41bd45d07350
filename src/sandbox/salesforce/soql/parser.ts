import { parseDate, parseDateTime } from '../datetime.ts';
import type { CompareOp, Condition, FieldRef, Literal, OrderItem, SoqlQuery } from './ast.ts';
import { dateLiteralRange, isDateLiteral, needsArgument } from './date-literals.ts';
import { malformed, type Token, tokenize } from './lexer.ts';

const RESERVED = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'AND',
  'OR',
  'NOT',
  'IN',
  'LIKE',
  'ORDER',
  'BY',
  'ASC',
  'DESC',
  'NULLS',
  'FIRST',
  'LAST',
  'LIMIT',
  'OFFSET',
  'NULL',
  'TRUE',
  'FALSE',
  'GROUP',
  'HAVING',
  'WITH',
  'FOR',
]);

/**
 * Recursive-descent parser for the SOQL subset the sandbox serves:
 *
 *   SELECT (COUNT() | field, ...) FROM object [WHERE cond] [ORDER BY field [ASC|DESC]
 *   [NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]
 *
 * Conditions combine comparisons (= != < > <= >= LIKE, [NOT] IN (...)) with AND, OR, NOT
 * and parentheses. Literals are typed values in the AST; nothing is ever spliced back
 * into query text.
 */
class Parser {
  private pos = 0;
  private readonly tokens: Token[];

  constructor(
    private readonly soql: string,
    private readonly now: number,
  ) {
    this.tokens = tokenize(soql);
  }

  private peek(offset = 0): Token {
    const token = this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)];
    if (!token) throw malformed(this.soql, 1, 'unexpected end of query');
    return token;
  }

  private next(): Token {
    const token = this.peek();
    this.pos += 1;
    return token;
  }

  private isKeyword(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'ident' && token.text.toUpperCase() === word;
  }

  private fail(token: Token): never {
    const shown = token.kind === 'end' ? '<EOF>' : token.text;
    throw malformed(this.soql, token.column, `unexpected token: '${shown}'`);
  }

  private expectKeyword(word: string): void {
    if (!this.isKeyword(word)) this.fail(this.peek());
    this.pos += 1;
  }

  private expectPunct(p: string): void {
    const token = this.next();
    if (token.kind !== 'punct' || token.text !== p) this.fail(token);
  }

  private fieldRef(): FieldRef {
    const token = this.next();
    if (token.kind !== 'ident' || RESERVED.has(token.text.toUpperCase())) this.fail(token);
    return { path: token.text.split('.'), column: token.column };
  }

  parse(): SoqlQuery {
    const query = this.query(false);
    const end = this.peek();
    if (end.kind !== 'end') this.fail(end);
    return query;
  }

  /** One SELECT; `nested` for a relationship subquery, which may not nest further. */
  private query(nested: boolean): SoqlQuery {
    this.expectKeyword('SELECT');
    const fields: FieldRef[] = [];
    const subqueries: SoqlQuery[] = [];
    let countOnly = false;
    if (this.isKeyword('COUNT') && this.peek(1).text === '(' && this.peek(2).text === ')') {
      this.pos += 3;
      countOnly = true;
    } else {
      do {
        if (this.peek(1).kind === 'punct' && this.peek(1).text === '(') {
          const token = this.peek();
          throw malformed(this.soql, token.column, `Unsupported function or subquery near '${token.text}'`);
        }
        if (this.peek().kind === 'punct' && this.peek().text === '(') {
          const open = this.next();
          if (nested || !this.isKeyword('SELECT')) this.fail(open);
          subqueries.push(this.query(true));
          this.expectPunct(')');
          continue;
        }
        fields.push(this.fieldRef());
      } while (this.consumePunct(','));
    }
    this.expectKeyword('FROM');
    const objectToken = this.next();
    if (objectToken.kind !== 'ident' || objectToken.text.includes('.')) this.fail(objectToken);
    let where: Condition | null = null;
    if (this.isKeyword('WHERE')) {
      this.pos += 1;
      where = this.orCondition();
    }
    const orderBy: OrderItem[] = [];
    if (this.isKeyword('ORDER')) {
      this.pos += 1;
      this.expectKeyword('BY');
      do orderBy.push(this.orderItem());
      while (this.consumePunct(','));
    }
    let limit: number | null = null;
    let offset: number | null = null;
    if (this.isKeyword('LIMIT')) {
      this.pos += 1;
      limit = this.integer();
    }
    if (this.isKeyword('OFFSET')) {
      this.pos += 1;
      offset = this.integer();
    }
    return {
      fields,
      subqueries,
      countOnly,
      object: objectToken.text,
      objectColumn: objectToken.column,
      where,
      orderBy,
      limit,
      offset,
    };
  }

  private consumePunct(p: string): boolean {
    const token = this.peek();
    if (token.kind === 'punct' && token.text === p) {
      this.pos += 1;
      return true;
    }
    return false;
  }

  private integer(): number {
    const token = this.next();
    if (token.kind !== 'number' || !/^\d+$/.test(token.text)) this.fail(token);
    return Number(token.text);
  }

  private orderItem(): OrderItem {
    const field = this.fieldRef();
    let descending = false;
    if (this.isKeyword('ASC')) this.pos += 1;
    else if (this.isKeyword('DESC')) {
      this.pos += 1;
      descending = true;
    }
    let nullsLast = descending;
    if (this.isKeyword('NULLS')) {
      this.pos += 1;
      if (this.isKeyword('FIRST')) nullsLast = false;
      else if (this.isKeyword('LAST')) nullsLast = true;
      else this.fail(this.peek());
      this.pos += 1;
    }
    return { field, descending, nullsLast };
  }

  private orCondition(): Condition {
    const items = [this.andCondition()];
    while (this.isKeyword('OR')) {
      this.pos += 1;
      items.push(this.andCondition());
    }
    return items.length === 1 && items[0] ? items[0] : { kind: 'or', items };
  }

  private andCondition(): Condition {
    const items = [this.notCondition()];
    while (this.isKeyword('AND')) {
      this.pos += 1;
      items.push(this.notCondition());
    }
    return items.length === 1 && items[0] ? items[0] : { kind: 'and', items };
  }

  private notCondition(): Condition {
    if (this.isKeyword('NOT')) {
      this.pos += 1;
      return { kind: 'not', item: this.notCondition() };
    }
    if (this.consumePunct('(')) {
      const inner = this.orCondition();
      this.expectPunct(')');
      return inner;
    }
    return this.comparison();
  }

  private comparison(): Condition {
    const field = this.fieldRef();
    if (this.isKeyword('NOT') && this.isKeyword('IN', 1)) {
      this.pos += 2;
      return { kind: 'in', field, values: this.literalList(), negate: true };
    }
    if (this.isKeyword('IN')) {
      this.pos += 1;
      return { kind: 'in', field, values: this.literalList(), negate: false };
    }
    if (this.isKeyword('LIKE')) {
      this.pos += 1;
      const token = this.peek();
      const value = this.literal();
      if (value.kind !== 'string') this.fail(this.tokens[this.pos - 1] ?? this.peek());
      return {
        kind: 'compare',
        field,
        op: 'like',
        value: { ...value, pattern: token.pattern ?? value.value },
      };
    }
    const opToken = this.next();
    if (opToken.kind !== 'op') this.fail(opToken);
    return { kind: 'compare', field, op: opToken.text as CompareOp, value: this.literal() };
  }

  private literalList(): Literal[] {
    this.expectPunct('(');
    const values: Literal[] = [];
    do values.push(this.literal());
    while (this.consumePunct(','));
    this.expectPunct(')');
    return values;
  }

  private literal(): Literal {
    const token = this.next();
    switch (token.kind) {
      case 'string':
        return { kind: 'string', value: token.text };
      case 'number':
        return { kind: 'number', value: Number(token.text) };
      case 'datetime':
        return { kind: 'datetime', ms: parseDateTime(token.text) };
      case 'date':
        return { kind: 'date', ms: parseDate(token.text) };
      case 'ident': {
        const upper = token.text.toUpperCase();
        if (upper === 'NULL') return { kind: 'null' };
        if (upper === 'TRUE' || upper === 'FALSE') return { kind: 'boolean', value: upper === 'TRUE' };
        if (isDateLiteral(upper)) {
          let n = 0;
          if (needsArgument(upper)) {
            this.expectPunct(':');
            n = this.integer();
          }
          const [start, end] = dateLiteralRange(upper, this.now, n);
          return { kind: 'range', start, end };
        }
        return this.fail(token);
      }
      default:
        return this.fail(token);
    }
  }
}

export function parseSoql(soql: string, now: number): SoqlQuery {
  return new Parser(soql, now).parse();
}
