import { XMLParser } from 'fast-xml-parser';
import { OUTBOUND_NS, SOAP_ENV_NS } from './envelope.ts';

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  trimValues: true,
  processEntities: false,
});

/** Namespace declarations on an element, merged over the ones in scope. */
function scopeOf(node: XmlNode, parent: Map<string, string>): Map<string, string> {
  const scope = new Map(parent);
  for (const [key, value] of Object.entries(node)) {
    if (typeof value !== 'string') continue;
    if (key === '@_xmlns') scope.set('', value);
    else if (key.startsWith('@_xmlns:')) scope.set(key.slice('@_xmlns:'.length), value);
  }
  return scope;
}

/** The single child of `node` whose resolved name is `{ns}local`, if there is exactly one. */
function child(
  node: XmlNode,
  scope: Map<string, string>,
  ns: string,
  local: string,
): XmlNode | string | undefined {
  const found: (XmlNode | string)[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('@_') || key === '#text') continue;
    const colon = key.indexOf(':');
    const prefix = colon === -1 ? '' : key.slice(0, colon);
    const name = colon === -1 ? key : key.slice(colon + 1);
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      const childScope = typeof v === 'object' && v !== null ? scopeOf(v as XmlNode, scope) : scope;
      if (name === local && childScope.get(prefix) === ns) {
        found.push(typeof v === 'object' && v !== null ? (v as XmlNode) : String(v));
      }
    }
  }
  return found.length === 1 ? found[0] : undefined;
}

function text(node: XmlNode | string | undefined): string | undefined {
  if (typeof node === 'string') return node;
  if (node && typeof node['#text'] === 'string') return node['#text'];
  return undefined;
}

/**
 * True only for the documented acknowledgement: a SOAP 1.1 envelope whose body holds
 * `notificationsResponse` in the outbound namespace with `<Ack>true</Ack>`. A bare 200,
 * `<Ack>false</Ack>`, a fault or unparsable XML are all failed deliveries.
 */
export function isPositiveAck(body: string): boolean {
  let doc: XmlNode;
  try {
    doc = parser.parse(body) as XmlNode;
  } catch {
    return false;
  }
  const root = scopeOf(doc, new Map());
  const envelope = child(doc, root, SOAP_ENV_NS, 'Envelope');
  if (typeof envelope !== 'object') return false;
  const envScope = scopeOf(envelope, root);
  const soapBody = child(envelope, envScope, SOAP_ENV_NS, 'Body');
  if (typeof soapBody !== 'object') return false;
  const bodyScope = scopeOf(soapBody, envScope);
  const response = child(soapBody, bodyScope, OUTBOUND_NS, 'notificationsResponse');
  if (response === undefined) return false;
  const responseScope = typeof response === 'object' ? scopeOf(response, bodyScope) : bodyScope;
  const ack = typeof response === 'object' ? child(response, responseScope, OUTBOUND_NS, 'Ack') : undefined;
  return text(ack) === 'true';
}
