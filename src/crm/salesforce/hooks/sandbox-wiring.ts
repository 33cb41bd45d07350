import type { SandboxWired, SandboxWiring } from '../../hooks.ts';
import { sandboxAdmin } from '../../sandbox-admin.ts';
import { SYSTEM_FIELD_NAMES } from '../provider.ts';

/**
 * The Salesforce sandbox's side of the receiver: per object, one active outbound-message
 * rule firing on every change and sending the fields the receiver reads, pointed at the
 * connection's outbound message URL. Done through the sandbox org's admin API (a real org
 * gets a flow or workflow rule with an Outbound Message action).
 */

interface OutboundRule {
  id: string;
  name: string;
  object: string;
  condition: { kind: string };
  fields: string[];
  endpointUrl: string;
  active: boolean;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The fields once each (Salesforce names ignore case), first spelling kept. */
function unique(fields: string[]): string[] {
  return fields.filter((field, index) => fields.findIndex((other) => same(other, field)) === index);
}

/**
 * The connection's outbound URL before its secret was rotated: the same URL up to the
 * secret, which is its last segment (a transition URL has more after it, and is left alone).
 */
function isOlderUrl(url: string, current: string): boolean {
  const prefix = current.slice(0, current.lastIndexOf('/') + 1);
  return url !== current && url.startsWith(prefix) && !/[/?#]/.test(url.slice(prefix.length));
}

const referralId = SYSTEM_FIELD_NAMES.referralId;

export const salesforceSandboxWiring: SandboxWiring = {
  defaults: [
    { object: 'Lead', triggerFields: ['Status'], readFields: ['Email', referralId] },
    { object: 'Contact', triggerFields: [], readFields: ['Email', referralId] },
    { object: 'Opportunity', triggerFields: ['StageName'], readFields: [] },
  ],
  async wire({ baseUrl, accountId, urls, needs }) {
    const endpointUrl = urls.salesforceOutboundUrl;
    if (!endpointUrl) throw new Error("Salesforce wiring needs the connection's outbound message URL");
    const rulesUrl = `${baseUrl}/_admin/orgs/${encodeURIComponent(accountId)}/outbound-messages`;
    const rules = await sandboxAdmin<OutboundRule[]>(rulesUrl, 'GET');
    const wired: SandboxWired[] = [];
    const unchanged: SandboxWired[] = [];
    for (const need of needs) {
      const fields = unique([...need.triggerFields, ...need.readFields]);
      const sent = fields.length > 0 ? fields.join(', ') : 'the record ID';
      const item = { object: need.object, kind: 'outbound_message' as const };
      const existing: OutboundRule | undefined =
        rules.find((rule) => same(rule.object, need.object) && rule.endpointUrl === endpointUrl) ??
        rules.find((rule) => same(rule.object, need.object) && isOlderUrl(rule.endpointUrl, endpointUrl));
      if (!existing) {
        const rule = await sandboxAdmin<OutboundRule>(rulesUrl, 'POST', {
          name: `refsync: ${need.object} changes`,
          object: need.object,
          condition: { kind: 'any-change' },
          fields,
          endpointUrl,
          active: true,
        });
        rules.push(rule);
        wired.push({
          ...item,
          detail: `Outbound message "${rule.name}" (${rule.id}) sends ${sent} on every change of a ${need.object}`,
        });
        continue;
      }
      const missing = fields.filter((field) => !existing.fields.some((known) => same(known, field)));
      const moved = existing.endpointUrl !== endpointUrl;
      if (missing.length === 0 && !moved && existing.active && existing.condition.kind === 'any-change') {
        unchanged.push({
          ...item,
          detail: `Outbound message "${existing.name}" (${existing.id}) already sends ${sent} on every change`,
        });
        continue;
      }
      const rule = await sandboxAdmin<OutboundRule>(
        `${rulesUrl}/${encodeURIComponent(existing.id)}`,
        'PATCH',
        {
          fields: unique([...existing.fields, ...missing]),
          condition: { kind: 'any-change' },
          endpointUrl,
          active: true,
        },
      );
      Object.assign(existing, rule);
      const added = [
        ...(missing.length > 0 ? [`now also sends ${missing.join(', ')}`] : []),
        ...(moved ? ["now goes to the connection's current outbound message URL"] : []),
      ];
      if (added.length === 0) added.push('is active again');
      wired.push({
        ...item,
        detail: `Outbound message "${rule.name}" (${rule.id}) ${added.join(' and ')}, on every change of a ${need.object}`,
      });
    }
    return { wired, unchanged };
  },
};
