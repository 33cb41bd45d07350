/**
 * Outside text made literal inside a LIKE/ILIKE pattern: `%`, `_` and the escape character
 * `\` itself are escaped, so the text matches only itself and can never end the pattern
 * with a lone escape (an SQL error). Add wildcards around the result, never inside it.
 */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}
