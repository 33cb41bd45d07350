import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { findPublicProgram, type ProgramRow } from '../programs/service.ts';
import { esc, page, sendPage } from './html.ts';
import { type EffectiveSettings, settingsOf } from './settings.ts';

export interface PublicProgram {
  program: ProgramRow;
  settings: EffectiveSettings;
}

export async function publicProgram(ctx: AppContext, programId: string): Promise<PublicProgram | undefined> {
  if (!/^prg_[0-9a-z]{26}$/.test(programId)) return undefined;
  const program = await findPublicProgram(ctx.db, programId);
  if (!program) return undefined;
  return { program, settings: await settingsOf(ctx.db, program) };
}

/** The same page for a program that does not exist and one whose pages are off. */
export function notFoundPage(reply: FastifyReply): FastifyReply {
  return sendPage(
    reply,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head>` +
      `<body style="font-family:system-ui,sans-serif;margin:40px"><h1>Page not found</h1>` +
      `<p>There is no page at this address.</p></body></html>`,
    404,
  );
}

/** HTML forms post `application/x-www-form-urlencoded`; each field once (the first wins). */
export function acceptForms(app: FastifyInstance): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_request, body, done) => {
      const out: Record<string, string> = {};
      for (const [key, value] of new URLSearchParams(body as string)) if (!(key in out)) out[key] = value;
      done(null, out);
    },
  );
}

export function formBody(request: FastifyRequest): Record<string, string> {
  const body = request.body;
  if (!body || typeof body !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) if (typeof value === 'string') out[key] = value;
  return out;
}

/** A page with one message (thanks, check your inbox, too many tries). */
export function messagePage(
  settings: EffectiveSettings,
  title: string,
  message: string,
  extra = '',
  kind: 'ok' | 'bad' = 'ok',
): string {
  return page(settings, {
    title,
    body: `<div class="card"><h1>${esc(title)}</h1><div class="notice ${kind}" role="status">${esc(message)}</div>${extra}</div>`,
  });
}

export function cookieOf(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return decodeURIComponent(part.slice(at + 1).trim());
  }
  return undefined;
}

/** The member's link and code with copy buttons, and ways to share the link. */
export function linkCard(link: string, code: string, brandName: string): string {
  const text = encodeURIComponent(`Join me at ${brandName}: ${link}`);
  const url = encodeURIComponent(link);
  return `<div class="card"><h2>Share your link</h2>
<div class="field"><label for="share-link">Your referral link</label><div class="copy"><input id="share-link" type="text" readonly value="${esc(link)}"><button type="button" class="secondary" data-copy="share-link">Copy link</button></div></div>
<div class="field"><label for="share-code">Your referral code</label><div class="copy"><input id="share-code" type="text" readonly value="${esc(code)}"><button type="button" class="secondary" data-copy="share-code">Copy code</button></div></div>
<div class="share" aria-label="Share your link">
<a class="button" href="mailto:?subject=${encodeURIComponent(`An invitation to ${brandName}`)}&amp;body=${text}" data-share="${esc(link)}">Share</a>
<a class="button secondary" href="mailto:?subject=${encodeURIComponent(`An invitation to ${brandName}`)}&amp;body=${text}">Email</a>
<a class="button secondary" href="https://www.linkedin.com/sharing/share-offsite/?url=${url}" target="_blank" rel="noopener">LinkedIn</a>
<a class="button secondary" href="https://twitter.com/intent/tweet?text=${text}" target="_blank" rel="noopener">X</a>
<a class="button secondary" href="https://wa.me/?text=${text}" target="_blank" rel="noopener">WhatsApp</a>
</div></div>`;
}

export const SHARE_SCRIPT = '/p/assets/share.js';
