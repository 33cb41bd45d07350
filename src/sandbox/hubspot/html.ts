/** Server-rendered HTML: every interpolated value goes through `escapeHtml`. */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** Marks already-escaped markup so templates can nest without double escaping. */
export interface SafeHtml {
  readonly html: string;
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return { html: out };
}

function render(value: unknown): string {
  if (Array.isArray(value)) return value.map(render).join('');
  if (typeof value === 'object' && value !== null && 'html' in value && typeof value.html === 'string') {
    return value.html;
  }
  return escapeHtml(value);
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2rem;color:#213343}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #cbd6e2;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f5f8fa}form.inline{display:inline}input,select,button{font:inherit}
nav a{margin-right:1rem}.muted{color:#7c98b6}.error{color:#d94c53}`;

export function page(title: string, body: SafeHtml): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body.html}</body></html>`;
}
