import { XMLParser } from 'fast-xml-parser';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { type ConvertOptions, convertLead } from './convert.ts';
import { SfError } from './errors.ts';
import { admitApiCall } from './http-rest.ts';
import type { OrgRegistry } from './org-registry.ts';
import { el, type XmlElement, xmlDocument } from './xml.ts';

const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
const PARTNER_NS = 'urn:partner.soap.sforce.com';

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  processEntities: true,
  isArray: (name) => name === 'leadConverts',
});

type Node = Record<string, unknown>;

function nodeAt(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Node)[key];
  }
  return current;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function envelope(body: XmlElement): string {
  return xmlDocument(
    el('soapenv:Envelope', { 'xmlns:soapenv': SOAP_ENV_NS, xmlns: PARTNER_NS }, [
      el('soapenv:Body', undefined, [body]),
    ]),
  );
}

/** A SOAP fault; jsforce reads `faultcode` as the error code and refreshes on INVALID_SESSION_ID. */
function sendFault(reply: FastifyReply, error: SfError): FastifyReply {
  const body = envelope(
    el('soapenv:Fault', undefined, [
      el('faultcode', undefined, [`sf:${error.errorCode}`]),
      el('faultstring', undefined, [`${error.errorCode}: ${error.message}`]),
    ]),
  ).replace('<soapenv:Envelope ', '<soapenv:Envelope xmlns:sf="urn:fault.partner.soap.sforce.com" ');
  return reply.code(500).type('text/xml; charset=utf-8').send(body);
}

function convertOptions(request: unknown): ConvertOptions {
  return {
    convertedStatus: text(nodeAt(request, 'convertedStatus')),
    accountId: text(nodeAt(request, 'accountId')),
    contactId: text(nodeAt(request, 'contactId')),
    doNotCreateOpportunity: text(nodeAt(request, 'doNotCreateOpportunity')) === 'true',
    opportunityName: text(nodeAt(request, 'opportunityName')),
  };
}

function optional(name: string, value: string | null): XmlElement {
  return value === null
    ? el(name, { 'xsi:nil': 'true', 'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance' })
    : el(name, undefined, [value]);
}

/**
 * The Partner SOAP endpoint, for the one call REST has no equivalent of: `convertLead`
 * (what jsforce's `conn.soap.convertLead()` sends). Each lead converts on its own, as in
 * Salesforce, and reports a LeadConvertResult.
 */
export function registerSoapRoutes(app: FastifyInstance, deps: { registry: OrgRegistry }): void {
  const handle = async (request: { body: unknown }, reply: FastifyReply) => {
    let doc: unknown;
    try {
      doc = parser.parse(typeof request.body === 'string' ? request.body : '');
    } catch {
      return sendFault(reply, new SfError(500, 'INVALID_XML', 'unable to parse the request'));
    }
    const header = nodeAt(doc, 'Envelope', 'Header', 'SessionHeader', 'sessionId');
    const sessionId = text(header);
    const admitted = await admitApiCall(deps.registry, sessionId ? `Bearer ${sessionId}` : undefined);
    if (!admitted.ok) return sendFault(reply, admitted.error);
    const { org } = admitted;
    const call = nodeAt(doc, 'Envelope', 'Body', 'convertLead');
    if (typeof call !== 'object' || call === null) {
      return sendFault(
        reply,
        new SfError(500, 'INVALID_OPERATION', 'This sandbox serves only convertLead over SOAP'),
      );
    }
    const requests = nodeAt(call, 'leadConverts');
    const list = Array.isArray(requests) ? requests : [];
    const results = list.map((item) => {
      const leadId = text(nodeAt(item, 'leadId')) ?? '';
      try {
        const result = convertLead(
          { org, now: Date.now(), version: '62.0', allowDuplicates: true },
          leadId,
          convertOptions(item),
        );
        return el('result', undefined, [
          el('accountId', undefined, [result.accountId]),
          el('contactId', undefined, [result.contactId]),
          el('leadId', undefined, [result.leadId]),
          optional('opportunityId', result.opportunityId),
          el('success', undefined, ['true']),
        ]);
      } catch (error) {
        if (!(error instanceof SfError)) throw error;
        return el('result', undefined, [
          optional('accountId', null),
          optional('contactId', null),
          el('errors', undefined, [
            ...(error.fields ?? []).map((f) => el('fields', undefined, [f])),
            el('message', undefined, [error.message]),
            el('statusCode', undefined, [error.errorCode]),
          ]),
          el('leadId', undefined, [leadId]),
          optional('opportunityId', null),
          el('success', undefined, ['false']),
        ]);
      }
    });
    deps.registry.changed();
    return reply
      .type('text/xml; charset=utf-8')
      .send(envelope(el('convertLeadResponse', undefined, results)));
  };
  app.post('/services/Soap/u/:version', handle);
  app.post('/services/Soap/u/:version/:orgId', handle);
}
