/**
 * Text that came from a CRM (an error message, a body it answered) on its way to a page, an
 * API answer or `lastError`. Whatever answered may not be the CRM, so only a short excerpt
 * leaves, and markup in it is escaped wherever it is shown: never a whole foreign body.
 */

export const excerptLength = 200;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** At most `excerptLength` characters of a foreign message, on one line (not escaped yet). */
export function excerpt(message: unknown): string {
  const text = message instanceof Error ? message.message : String(message);
  // Control characters and runs of whitespace would only make the excerpt unreadable.
  const line = text.replace(/[\p{Cc}\s]+/gu, ' ').trim();
  return line.length <= excerptLength ? line : `${line.slice(0, excerptLength - 1)}…`;
}

/**
 * What `lastError` stores: a message whose foreign parts went through `excerpt`, escaped,
 * since consoles show it as they get it.
 */
export function storedError(message: string): string {
  return escapeHtml(message);
}
