import type { FieldValue, OrgState, OutboundRule, QueuedNotification, SfRecord } from '../state.ts';
import { el, type XmlElement, xmlDocument } from '../xml.ts';

export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const OUTBOUND_NS = 'http://soap.sforce.com/2005/09/outbound';
const SOBJECT_NS = 'urn:sobject.enterprise.soap.sforce.com';
const SOAP_API_VERSION = '62.0';

/** Outbound messages write datetimes as ISO-8601 UTC with milliseconds and `Z`. */
function soapValue(value: FieldValue): string | null {
  if (value === null) return null;
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T.*\+0000$/.test(value))
    return value.replace('+0000', 'Z');
  return String(value);
}

function sObject(
  rule: OutboundRule,
  notification: QueuedNotification,
  record: SfRecord | undefined,
): XmlElement {
  const children: XmlElement[] = [el('sf:Id', undefined, [notification.recordId])];
  // A record deleted before delivery is sent with its Id only.
  if (record && record.IsDeleted !== true) {
    const fields = [...new Set(rule.fields)].filter((f) => f !== 'Id').sort();
    for (const name of fields) {
      const value = soapValue(record[name] ?? null);
      // Null fields are left out of the sObject.
      if (value !== null) children.push(el(`sf:${name}`, undefined, [value]));
    }
  }
  return el('sObject', { 'xsi:type': `sf:${rule.object}`, 'xmlns:sf': SOBJECT_NS }, children);
}

/**
 * The SOAP `notifications` message for one rule and up to 100 notifications. Field values
 * are read now, at send time, so a record changed twice sends its latest state.
 */
export function notificationsEnvelope(
  org: OrgState,
  rule: OutboundRule,
  notifications: QueuedNotification[],
  baseUrl: string,
): string {
  const org15 = org.orgId.slice(0, 15);
  const body = el('notifications', { xmlns: OUTBOUND_NS }, [
    el('OrganizationId', undefined, [org.orgId]),
    el('ActionId', undefined, [rule.id]),
    el('SessionId', { 'xsi:nil': 'true' }),
    el('EnterpriseUrl', undefined, [`${baseUrl}/services/Soap/c/${SOAP_API_VERSION}/${org15}`]),
    el('PartnerUrl', undefined, [`${baseUrl}/services/Soap/u/${SOAP_API_VERSION}/${org15}`]),
    ...notifications.map((n) =>
      el('Notification', undefined, [
        el('Id', undefined, [n.id]),
        sObject(rule, n, org.records[rule.object]?.[n.recordId]),
      ]),
    ),
  ]);
  return xmlDocument(
    el(
      'soapenv:Envelope',
      {
        'xmlns:soapenv': SOAP_ENV_NS,
        'xmlns:xsd': 'http://www.w3.org/2001/XMLSchema',
        'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
      },
      [el('soapenv:Body', undefined, [body])],
    ),
  );
}
