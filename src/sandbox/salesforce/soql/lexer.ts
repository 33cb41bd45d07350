import { SfError } from '../errors.ts';

export type TokenKind = 'ident' | 'string' | 'number' | 'datetime' | 'date' | 'op' | 'punct' | 'end';

export interface Token {
  kind: TokenKind;
  /** Source text, except for strings where it is the unescaped value. */
  text: string;
  /**
   * Strings only: the value as a LIKE pattern, where an escaped `%` or `_` stays `\%` / `\_`
   * and an escaped backslash stays `\\`, so the matcher tells all three apart.
   */
  pattern?: string;
  /** 1-based column, for Salesforce-style error messages. */
  column: number;
}

const IDENT = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y;
const DATETIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2})/y;
const DATE = /\d{4}-\d{2}-\d{2}(?![\dT])/y;
const NUMBER = /-?\d+(?:\.\d+)?/y;
const OPERATORS = ['!=', '<>', '<=', '>=', '=', '<', '>'];
const ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  b: '\b',
  f: '\f',
  "'": "'",
  '"': '"',
  '\\': '\\',
  // LIKE wildcards stay escaped so the matcher can tell them from real wildcards.
  '%': '\\%',
  _: '\\_',
};

export function malformed(soql: string, column: number, detail: string): SfError {
  return new SfError(
    400,
    'MALFORMED_QUERY',
    `\n${soql}\n${' '.repeat(Math.max(0, column - 1))}^\nERROR at Row:1:Column:${column}\n${detail}`,
  );
}

function match(pattern: RegExp, source: string, at: number): string | null {
  pattern.lastIndex = at;
  const found = pattern.exec(source);
  return found ? found[0] : null;
}

/** Splits SOQL into tokens; string literals are unescaped here and never re-parsed. */
export function tokenize(soql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < soql.length) {
    const c = soql.charAt(i);
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    const column = i + 1;
    if (c === "'") {
      let value = '';
      let pattern = '';
      let j = i + 1;
      let closed = false;
      while (j < soql.length) {
        const ch = soql.charAt(j);
        if (ch === '\\') {
          const next = soql.charAt(j + 1);
          const escaped = ESCAPES[next];
          if (escaped === undefined)
            throw malformed(
              soql,
              j + 1,
              `Invalid string literal '${soql.slice(i, j + 2)}'. Illegal character sequence '\\${next}' in string literal.`,
            );
          value += escaped;
          pattern += next === '\\' ? '\\\\' : escaped;
          j += 2;
          continue;
        }
        if (ch === "'") {
          closed = true;
          break;
        }
        value += ch;
        pattern += ch;
        j += 1;
      }
      if (!closed) throw malformed(soql, column, `line 1:${i} mismatched character '<EOF>' expecting '''`);
      tokens.push({ kind: 'string', text: value, pattern, column });
      i = j + 1;
      continue;
    }
    const datetime = match(DATETIME, soql, i);
    if (datetime) {
      tokens.push({ kind: 'datetime', text: datetime, column });
      i += datetime.length;
      continue;
    }
    const date = match(DATE, soql, i);
    if (date) {
      tokens.push({ kind: 'date', text: date, column });
      i += date.length;
      continue;
    }
    const number = match(NUMBER, soql, i);
    if (number && (c !== '-' || /\d/.test(soql.charAt(i + 1)))) {
      tokens.push({ kind: 'number', text: number, column });
      i += number.length;
      continue;
    }
    const ident = match(IDENT, soql, i);
    if (ident) {
      tokens.push({ kind: 'ident', text: ident, column });
      i += ident.length;
      continue;
    }
    const op = OPERATORS.find((o) => soql.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'op', text: op === '<>' ? '!=' : op, column });
      i += op.length;
      continue;
    }
    if ('(),:'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, column });
      i += 1;
      continue;
    }
    throw malformed(soql, column, `line 1:${i} no viable alternative at character '${c}'`);
  }
  tokens.push({ kind: 'end', text: '', column: soql.length + 1 });
  return tokens;
}
