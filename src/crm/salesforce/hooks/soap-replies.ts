/**
 * What Salesforce reads back. Only the documented acknowledgement counts as delivered;
 * anything else (a fault, a non-2xx status) makes Salesforce retry the whole message.
 */

export const soapContentType = 'text/xml; charset=utf-8';

/** The `notificationsResponse` ack, byte for byte as Salesforce documents it. */
export const ackEnvelope = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
 <soapenv:Body>
  <notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">
   <Ack>true</Ack>
  </notificationsResponse>
 </soapenv:Body>
</soapenv:Envelope>
`;

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** A SOAP 1.1 fault. `Client`: the message or its sender is wrong; `Server`: our side failed. */
export function soapFault(faultCode: 'Client' | 'Server', message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
 <soapenv:Body>
  <soapenv:Fault>
   <faultcode>soapenv:${faultCode}</faultcode>
   <faultstring>${escapeXml(message)}</faultstring>
  </soapenv:Fault>
 </soapenv:Body>
</soapenv:Envelope>
`;
}
