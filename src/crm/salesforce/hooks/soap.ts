import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AppError } from '../../../core/errors.ts';

/**
 * Reads a Salesforce outbound message (SOAP 1.1 `notifications`). The XML comes from the
 * internet, so it is read defensively:
 * - any DOCTYPE is refused before parsing: no entity can be declared, so there are no
 *   external entities (XXE) and nothing to expand (billion laughs);
 * - the parser's own entity processing is off; the five predefined entities and character
 *   references are decoded here in one pass, which cannot expand recursively;
 * - the document must be well-formed (the parser alone is lenient about unclosed tags).
 * Every refusal is a `MalformedSoapError` whose message says what was wrong.
 */

type XmlNode = { [key: string]: XmlValue };
type XmlValue = string | XmlNode | XmlValue[];

export class MalformedSoapError extends AppError {
  constructor(message: string) {
    super('malformed_soap', message, { forCaller: false });
    this.name = 'MalformedSoapError';
  }
}

/** One `Notification`: a record as Salesforce read it when sending. */
export interface OutboundNotification {
  /** `Notification/Id` (04l…): a redelivery carries the same one. */
  notificationId: string;
  /** From `sObject xsi:type="sf:Lead"`: `Lead`. */
  objectType: string | undefined;
  /** `sf:Id` */
  recordId: string | undefined;
  /** Every field of the sObject, strings as sent, `xsi:nil` as null. */
  fields: Record<string, unknown>;
  /** `SystemModstamp`, else `LastModifiedDate`, when the rule sends one of them. */
  occurredAt: Date | undefined;
}

export interface OutboundMessage {
  organizationId: string;
  actionId: string | undefined;
  notifications: OutboundNotification[];
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  // Values are kept as sent; whitespace between elements lands in `#text` and is ignored.
  trimValues: false,
  isArray: (name, jpath) =>
    name === 'Notification' && String(jpath) === 'Envelope.Body.notifications.Notification',
});

const predefinedEntities: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };

/** `&amp;` → `&`, `&#233;` → `é`; one left-to-right pass, so `&amp;lt;` stays `&lt;`. */
export function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/g, (whole, name: string) => {
    if (name.startsWith('#')) {
      const code = name.startsWith('#x') ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return predefinedEntities[name] ?? whole;
  });
}

function parseDocument(text: string): XmlNode {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    throw new MalformedSoapError('DOCTYPE and ENTITY declarations are not allowed');
  }
  const validation = XMLValidator.validate(text);
  if (validation !== true) {
    const { msg, line, col } = validation.err;
    throw new MalformedSoapError(`${msg.replace(/\s+/g, ' ')} (line ${line}, column ${col})`);
  }
  try {
    return parser.parse(text) as XmlNode;
  } catch (error) {
    throw new MalformedSoapError(error instanceof Error ? error.message : String(error));
  }
}

const isNode = (value: XmlValue | undefined): value is XmlNode =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function element(parent: XmlNode, name: string, path: string): XmlNode {
  const value = parent[name];
  if (!isNode(value)) throw new MalformedSoapError(`no ${path} element`);
  return value;
}

/** The text of a leaf element, or undefined when it is absent or not a leaf. */
function textOf(value: XmlValue | undefined): string | undefined {
  if (typeof value === 'string') return decodeXmlText(value);
  if (isNode(value) && typeof value['#text'] === 'string' && !hasChildElements(value)) {
    return decodeXmlText(value['#text']);
  }
  if (isNode(value) && !hasChildElements(value)) return '';
  return undefined;
}

function hasChildElements(node: XmlNode): boolean {
  return Object.keys(node).some((key) => key !== '#text' && !key.startsWith('@_'));
}

/** A field value: a string as sent, null for `xsi:nil="true"`, nested elements as objects. */
function fieldValue(value: XmlValue): unknown {
  if (Array.isArray(value)) return value.map(fieldValue);
  if (typeof value === 'string') return decodeXmlText(value);
  if (value['@_nil'] === 'true') return null;
  if (!hasChildElements(value)) return textOf(value) ?? '';
  return fieldsOf(value);
}

function fieldsOf(node: XmlNode): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(node)) {
    if (name === '#text' || name.startsWith('@_')) continue;
    fields[name] = fieldValue(value);
  }
  return fields;
}

function dateOf(value: unknown): Date | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function notificationOf(value: XmlValue, index: number): OutboundNotification {
  if (!isNode(value)) throw new MalformedSoapError(`Notification ${index + 1} is not an element`);
  const notificationId = textOf(value.Id);
  if (!notificationId) throw new MalformedSoapError(`Notification ${index + 1} has no Id`);
  const sObject = element(value, 'sObject', `Notification ${index + 1} sObject`);
  const type = typeof sObject['@_type'] === 'string' ? sObject['@_type'] : undefined;
  const fields = fieldsOf(sObject);
  const recordId = typeof fields.Id === 'string' && fields.Id !== '' ? fields.Id : undefined;
  return {
    notificationId,
    objectType: type ? type.slice(type.indexOf(':') + 1) : undefined,
    recordId,
    fields,
    occurredAt: dateOf(fields.SystemModstamp) ?? dateOf(fields.LastModifiedDate),
  };
}

/** Parses and checks the shape of an outbound message; throws `MalformedSoapError`. */
export function parseOutboundMessage(text: string): OutboundMessage {
  const document = parseDocument(text);
  const envelope = element(document, 'Envelope', 'soapenv:Envelope');
  const body = element(envelope, 'Body', 'soapenv:Body');
  const notifications = element(body, 'notifications', 'notifications');
  const organizationId = textOf(notifications.OrganizationId);
  if (!organizationId) throw new MalformedSoapError('no OrganizationId');
  const list = notifications.Notification;
  const items = Array.isArray(list) ? list : list === undefined ? [] : [list];
  return {
    organizationId,
    actionId: textOf(notifications.ActionId),
    notifications: items.map(notificationOf),
  };
}

const NOTIFICATION_OPEN = /<(?:[A-Za-z_][\w.-]*:)?Notification(?=[\s>/])/g;
const NOTIFICATION_CLOSE = /<\/(?:[A-Za-z_][\w.-]*:)?Notification\s*>/g;

/**
 * What each notification of a parsed message keeps as its raw payload: the message as sent,
 * with only that notification in it (envelope, org, action and session as they came). A
 * message of 100 notifications is stored once over its entries, not 100 times. When the
 * text cannot be cut along the notifications the parser found (a comment or CDATA that looks
 * like one), every entry keeps the whole message, as sent.
 */
export function notificationPayloads(raw: string, message: OutboundMessage): string[] {
  const whole = () => message.notifications.map(() => raw);
  const opens = [...raw.matchAll(NOTIFICATION_OPEN)].map((match) => match.index);
  const closes = [...raw.matchAll(NOTIFICATION_CLOSE)].map((match) => match.index + match[0].length);
  const count = message.notifications.length;
  if (count === 0 || opens.length !== count || closes.length !== count) return whole();
  const spans: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) {
    const start = opens[i] ?? 0;
    const end = closes[i] ?? 0;
    const next = opens[i + 1] ?? raw.length;
    if (end <= start || end > next) return whole();
    spans.push([start, end]);
  }
  const head = raw.slice(0, spans[0]?.[0] ?? 0);
  const tail = raw.slice(spans[count - 1]?.[1] ?? raw.length);
  const parts = spans.map(([start, end]) => raw.slice(start, end));
  const inOrder = message.notifications.every((notification, i) =>
    parts[i]?.includes(`>${notification.notificationId}<`),
  );
  return inOrder ? parts.map((part) => head + part + tail) : whole();
}
