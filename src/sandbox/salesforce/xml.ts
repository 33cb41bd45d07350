/** A minimal XML tree; `render` escapes every text and attribute value it writes. */
export interface XmlElement {
  name: string;
  attrs?: Record<string, string>;
  children?: (XmlElement | string)[];
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

export function escapeXml(text: string): string {
  // Characters XML 1.0 cannot carry at all are dropped rather than sent broken.
  const cleaned = text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '');
  return cleaned.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

export function el(
  name: string,
  attrs?: Record<string, string>,
  children?: (XmlElement | string)[],
): XmlElement {
  return { name, ...(attrs ? { attrs } : {}), ...(children ? { children } : {}) };
}

export function renderXml(node: XmlElement): string {
  const attrs = Object.entries(node.attrs ?? {})
    .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
    .join('');
  const children = node.children ?? [];
  if (children.length === 0) return `<${node.name}${attrs}/>`;
  const inner = children.map((c) => (typeof c === 'string' ? escapeXml(c) : renderXml(c))).join('');
  return `<${node.name}${attrs}>${inner}</${node.name}>`;
}

export function xmlDocument(root: XmlElement): string {
  return `<?xml version="1.0" encoding="UTF-8"?>${renderXml(root)}`;
}
