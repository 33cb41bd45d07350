import type { FastifyReply } from 'fastify';
import { DEFAULT_COLOR, type EffectiveSettings } from './settings.ts';

export function esc(value: string | null | undefined): string {
  return (value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Scripts only from refsync itself, no framing, forms post only back here. */
const policy =
  "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; script-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function sendPage(reply: FastifyReply, html: string, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('content-security-policy', policy)
    .header('referrer-policy', 'same-origin')
    .header('x-content-type-options', 'nosniff')
    .type('text/html; charset=utf-8')
    .send(html);
}

function css(color: string): string {
  return `
:root{--brand:${color};--ink:#1d2330;--muted:#5b6475;--line:#d8dde6;--bg:#f5f7fa;--bad:#b42318}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{background:var(--brand);color:#fff;padding:14px 24px;display:flex;align-items:center;gap:12px}
header img{height:32px;width:auto;background:#fff;border-radius:4px;padding:2px}
header .brand{font-weight:600;font-size:18px}
main{max-width:640px;margin:32px auto;padding:0 16px}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:28px;box-shadow:0 1px 2px rgba(0,0,0,.04);margin-bottom:24px}
h1{font-size:26px;margin:0 0 8px}
h2{font-size:19px;margin:0 0 12px}
p.lead{color:var(--muted);margin:0 0 24px}
fieldset{border:0;padding:0;margin:0 0 8px}
legend{font-weight:600;margin-bottom:8px;padding:0}
.row{display:grid;grid-template-columns:1fr 1fr;gap:0 16px}
@media (max-width:560px){.row{grid-template-columns:1fr}}
.field{margin-bottom:16px}
label{display:block;font-weight:500;margin-bottom:4px}
.req{color:var(--bad)}
input[type=text],input[type=email],input[type=number],input[type=date],input[type=url],textarea{width:100%;padding:10px 12px;border:1px solid #b8c0cc;border-radius:6px;font:inherit;background:#fff}
textarea{min-height:90px;resize:vertical}
input:focus,textarea:focus,button:focus,a:focus{outline:3px solid color-mix(in srgb,var(--brand) 45%,transparent);outline-offset:1px}
.invalid input,.invalid textarea{border-color:var(--bad)}
.error{color:var(--bad);font-size:14px;margin-top:4px}
.check{display:flex;gap:10px;align-items:flex-start}
.check input{margin-top:5px;width:18px;height:18px;flex:none}
.check label{font-weight:400}
button,.button{display:inline-block;background:var(--brand);color:#fff;border:0;border-radius:6px;padding:11px 20px;font:inherit;font-weight:600;cursor:pointer;text-decoration:none}
button.secondary,.button.secondary{background:#fff;color:var(--brand);border:1px solid var(--brand)}
.notice{border-radius:8px;padding:12px 16px;margin-bottom:20px}
.notice.ok{background:#ecfdf3;border:1px solid #abefc6}
.notice.bad{background:#fef3f2;border:1px solid #fecdca}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
.copy{display:flex;gap:8px;margin-bottom:12px}
.copy input{flex:1;min-width:0;font-family:ui-monospace,Menlo,monospace}
.copy button{min-width:128px}
a{color:var(--brand)}
td.date{white-space:nowrap}
.share{display:flex;flex-wrap:wrap;gap:8px;margin-top:8px}
table{width:100%;border-collapse:collapse;font-size:15px}
th,td{text-align:left;padding:8px 6px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600;font-size:13px;text-transform:uppercase;letter-spacing:.03em}
.badge{display:inline-block;border-radius:999px;padding:1px 10px;font-size:13px;background:#eef2f8;border:1px solid var(--line)}
.badge.qualified{background:#eff8ff;border-color:#b2ddff}.badge.approved{background:#ecfdf3;border-color:#abefc6}.badge.denied{background:#fef3f2;border-color:#fecdca}
.feedback{margin:6px 0 0;padding:6px 10px;border-left:3px solid var(--brand);background:#f8fafc;color:var(--ink);font-size:14px}
.muted{color:var(--muted)}
.stats{display:flex;gap:16px;flex-wrap:wrap}
.pager{display:flex;gap:16px;justify-content:flex-end;margin-top:12px}
.stat{flex:1;min-width:120px;border:1px solid var(--line);border-radius:8px;padding:12px}
.stat b{display:block;font-size:22px}
footer{text-align:center;color:var(--muted);font-size:13px;margin:24px 0}
`;
}

export interface PageOptions {
  title: string;
  body: string;
  scripts?: string[];
}

export function page(settings: EffectiveSettings, options: PageOptions): string {
  const logo = settings.logoUrl ? `<img src="${esc(settings.logoUrl)}" alt="">` : '';
  const scripts = (options.scripts ?? []).map((src) => `<script src="${esc(src)}" defer></script>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(options.title)} · ${esc(settings.brandName)}</title><style>${css(settings.color)}</style>${scripts}</head>
<body><header>${logo}<span class="brand">${esc(settings.brandName)}</span></header>
<main>${options.body}</main><footer>Referral program of ${esc(settings.brandName)}</footer></body></html>`;
}

/** The one page every link that leads nowhere shows, whatever its program. */
export function neutralPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Referral link</title>
<style>${css(DEFAULT_COLOR)}</style></head><body><main><div class="card"><h1>This link does not lead anywhere right now</h1>
<p class="lead">If someone shared it with you, ask them for their current referral link.</p></div></main></body></html>`;
}

export interface FieldSpec {
  name: string;
  label: string;
  type?: 'text' | 'email' | 'textarea' | 'number' | 'date' | 'url';
  required?: boolean;
  autocomplete?: string;
}

/** One labelled input, its value kept and its error shown beside it (and tied to it for screen readers). */
export function field(
  spec: FieldSpec,
  values: Record<string, string>,
  errors: Record<string, string>,
): string {
  const id = `f-${spec.name}`;
  const error = errors[spec.name];
  const describedBy = error ? ` aria-describedby="${id}-error" aria-invalid="true"` : '';
  const required = spec.required ? ' required' : '';
  const marker = spec.required ? ' <span class="req" aria-hidden="true">*</span>' : '';
  const auto = spec.autocomplete ? ` autocomplete="${spec.autocomplete}"` : '';
  const value = values[spec.name] ?? '';
  const control =
    spec.type === 'textarea'
      ? `<textarea id="${id}" name="${spec.name}"${required}${describedBy}>${esc(value)}</textarea>`
      : `<input id="${id}" name="${spec.name}" type="${spec.type ?? 'text'}" value="${esc(value)}"${required}${auto}${describedBy}>`;
  const message = error ? `<div class="error" id="${id}-error">${esc(error)}</div>` : '';
  return `<div class="field${error ? ' invalid' : ''}"><label for="${id}">${esc(spec.label)}${marker}</label>${control}${message}</div>`;
}

export function checkbox(
  name: string,
  label: string,
  values: Record<string, string>,
  errors: Record<string, string>,
  required = true,
): string {
  const id = `f-${name}`;
  const error = errors[name];
  const describedBy = error ? ` aria-describedby="${id}-error" aria-invalid="true"` : '';
  const checked = values[name] ? ' checked' : '';
  const message = error ? `<div class="error" id="${id}-error">${esc(error)}</div>` : '';
  return `<div class="field${error ? ' invalid' : ''}"><div class="check"><input type="checkbox" id="${id}" name="${name}" value="yes"${required ? ' required' : ''}${checked}${describedBy}><label for="${id}">${esc(label)}</label></div>${message}</div>`;
}

/** A field bots fill in and people never see (hidden from screen readers and tab order too). */
export function honeypot(): string {
  return `<div class="hp" aria-hidden="true"><label for="f-website">Website</label><input id="f-website" name="website" type="text" tabindex="-1" autocomplete="off"></div>`;
}

export function errorSummary(errors: Record<string, string>): string {
  const count = Object.keys(errors).length;
  if (count === 0) return '';
  return `<div class="notice bad" role="alert">Please correct ${count === 1 ? 'the field' : `the ${count} fields`} marked below.</div>`;
}
