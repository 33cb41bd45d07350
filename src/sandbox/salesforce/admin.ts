import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  convertBody,
  customFieldBody,
  faultsBody,
  limitsBody,
  newOrgBody,
  outageBody,
  outboundRuleBody,
  outboundRulePatch,
  outboundSettingsBody,
  updateOrgBody,
} from './admin-schemas.ts';
import { convertLead } from './convert.ts';
import { addCustomField, removeCustomField } from './custom-fields.ts';
import { sfDateTime } from './datetime.ts';
import { SfError, sfErrors } from './errors.ts';
import { findField, objectOf } from './fields.ts';
import { JSON_TYPE } from './http-rest.ts';
import { KEY_PREFIXES, makeId } from './ids.ts';
import type { OrgRegistry } from './org-registry.ts';
import { DEFAULT_FAULTS, type OrgState, type OutboundRule } from './state.ts';

export interface AdminDeps {
  registry: OrgRegistry;
  baseUrl: (request: FastifyRequest) => string;
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body ?? undefined);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new SfError(400, 'INVALID_INPUT', `${where}${issue?.message ?? 'invalid body'}`);
  }
  return result.data;
}

/**
 * What the admin API shows of an org: where to log in, settings and record counts. The
 * client secret and password are shown only in the answer that creates the org.
 */
export function orgView(org: OrgState, base: string) {
  const counts: Record<string, number> = {};
  for (const [object, rows] of Object.entries(org.records)) {
    counts[object] = Object.values(rows).filter((r) => r.IsDeleted !== true).length;
  }
  return {
    orgId: org.orgId,
    name: org.name,
    clientId: org.clientId,
    username: org.username,
    userId: org.userId,
    loginUrl: base,
    instanceUrl: base,
    createdAt: org.createdAt,
    redirectUris: org.redirectUris,
    tokenLifetimeSeconds: org.tokenLifetimeSeconds,
    limits: org.limits,
    usage: org.usage,
    faults: org.faults,
    outboundSettings: org.outbound.settings,
    recordCounts: counts,
    customFields: Object.fromEntries(
      Object.entries(org.customFields).map(([object, fields]) => [
        object,
        fields.map((f) => ({
          id: f.toolingId,
          name: f.name,
          label: f.label,
          type: f.type,
          externalId: f.externalId ?? false,
        })),
      ]),
    ),
  };
}

function checkRuleFields(
  org: OrgState,
  rule: Pick<OutboundRule, 'object' | 'fields' | 'condition'>,
): OutboundRule['fields'] {
  const def = objectOf(org, rule.object);
  if (!def) throw new SfError(400, 'INVALID_TYPE', `sObject type '${rule.object}' is not supported.`);
  const fields = rule.fields.map((name) => {
    const field = findField(def, name);
    if (!field) throw sfErrors.invalidField(name, def.name);
    return field.name;
  });
  if (rule.condition.kind === 'field-equals' && !findField(def, rule.condition.field)) {
    throw sfErrors.invalidField(rule.condition.field, def.name);
  }
  return fields;
}

/**
 * `/_admin`: the JSON API that creates orgs and turns the knobs tests and benchmarks use.
 * It is never affected by faults, outages or API limits.
 */
export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { registry } = deps;
  const orgOf = (request: FastifyRequest): OrgState => {
    const { orgId } = request.params as { orgId: string };
    const org = registry.get(orgId);
    if (!org) throw sfErrors.notFound();
    return org;
  };

  app.post('/_admin/orgs', async (request, reply) => {
    const body = parse(newOrgBody, request.body);
    const org = registry.create(
      {
        name: body.name,
        dailyApiRequests: body.limits?.dailyApiRequests,
        redirectUris: body.redirectUris,
        tokenLifetimeSeconds: body.tokenLifetimeSeconds,
        outbound: Object.fromEntries(Object.entries(body.outbound ?? {}).filter(([, v]) => v !== undefined)),
      },
      Date.now(),
    );
    const base = deps.baseUrl(request);
    return reply.code(201).type(JSON_TYPE).send({
      orgId: org.orgId,
      clientId: org.clientId,
      clientSecret: org.clientSecret,
      username: org.username,
      password: org.password,
      userId: org.userId,
      loginUrl: base,
      instanceUrl: base,
    });
  });

  app.get('/_admin/orgs', async (request) =>
    registry.list().map((org) => orgView(org, deps.baseUrl(request))),
  );

  app.get('/_admin/orgs/:orgId', async (request) => orgView(orgOf(request), deps.baseUrl(request)));

  app.patch('/_admin/orgs/:orgId', async (request) => {
    const org = orgOf(request);
    const body = parse(updateOrgBody, request.body);
    if (body.name !== undefined) org.name = body.name;
    if (body.redirectUris !== undefined) org.redirectUris = body.redirectUris;
    if (body.tokenLifetimeSeconds !== undefined) org.tokenLifetimeSeconds = body.tokenLifetimeSeconds;
    registry.changed();
    return orgView(org, deps.baseUrl(request));
  });

  app.delete('/_admin/orgs/:orgId', async (request, reply) => {
    const org = orgOf(request);
    registry.delete(org.orgId);
    return reply.code(204).send();
  });

  app.post('/_admin/orgs/:orgId/fields', async (request, reply) => {
    const org = orgOf(request);
    const body = parse(customFieldBody, request.body);
    const field = addCustomField(org, body);
    registry.changed();
    return reply
      .code(201)
      .send({ id: field.toolingId, object: body.object, name: field.name, type: field.type });
  });

  app.delete('/_admin/orgs/:orgId/fields/:object/:name', async (request, reply) => {
    const org = orgOf(request);
    const { object, name } = request.params as { object: string; name: string };
    if (!removeCustomField(org, object, name)) {
      throw new SfError(404, 'NOT_FOUND', `${object} has no custom field ${name}.`);
    }
    registry.changed();
    return reply.code(204).send();
  });

  app.put('/_admin/orgs/:orgId/limits', async (request) => {
    const org = orgOf(request);
    const body = parse(limitsBody, request.body);
    if (body.dailyApiRequests !== undefined) org.limits.dailyApiRequests = body.dailyApiRequests;
    if (body.used !== undefined) org.usage = { day: sfDateTime(Date.now()).slice(0, 10), count: body.used };
    registry.changed();
    return { limits: org.limits, usage: org.usage };
  });

  app.get('/_admin/orgs/:orgId/faults', async (request) => orgOf(request).faults);

  app.put('/_admin/orgs/:orgId/faults', async (request) => {
    const org = orgOf(request);
    const body = parse(faultsBody, request.body);
    for (const [key, value] of Object.entries(body)) {
      if (value !== undefined) Object.assign(org.faults, { [key]: value });
    }
    registry.changed();
    return org.faults;
  });

  app.delete('/_admin/orgs/:orgId/faults', async (request) => {
    const org = orgOf(request);
    org.faults = { ...DEFAULT_FAULTS, errorStatuses: [...DEFAULT_FAULTS.errorStatuses] };
    registry.changed();
    return org.faults;
  });

  app.post('/_admin/orgs/:orgId/faults/expire-tokens', async (request) => {
    const org = orgOf(request);
    const expired = Object.keys(org.auth.accessTokens).length;
    // Tokens are kept but dated in the past, so the next call answers 401 INVALID_SESSION_ID.
    for (const session of Object.values(org.auth.accessTokens)) session.expiresAt = 0;
    registry.changed();
    return { expired };
  });

  app.post('/_admin/orgs/:orgId/faults/outage', async (request) => {
    const org = orgOf(request);
    const { seconds } = parse(outageBody, request.body);
    org.faults.outageUntil = seconds > 0 ? Date.now() + seconds * 1000 : null;
    registry.changed();
    return { outageUntil: org.faults.outageUntil === null ? null : sfDateTime(org.faults.outageUntil) };
  });

  app.get('/_admin/orgs/:orgId/outbound-messages', async (request) => orgOf(request).outbound.rules);

  app.post('/_admin/orgs/:orgId/outbound-messages', async (request, reply) => {
    const org = orgOf(request);
    const body = parse(outboundRuleBody, request.body);
    const def = objectOf(org, body.object);
    const fields = checkRuleFields(org, { ...body, object: def?.name ?? body.object });
    org.sequence += 1;
    const rule: OutboundRule = {
      id: makeId(KEY_PREFIXES.OutboundMessage, org.pod, org.sequence),
      name: body.name ?? `${def?.name ?? body.object} outbound message`,
      object: def?.name ?? body.object,
      condition: body.condition,
      fields,
      endpointUrl: body.endpointUrl,
      active: body.active,
      createdAt: sfDateTime(Date.now()),
    };
    org.outbound.rules.push(rule);
    registry.changed();
    return reply.code(201).send(rule);
  });

  const ruleOf = (request: FastifyRequest) => {
    const org = orgOf(request);
    const { ruleId } = request.params as { ruleId: string };
    const rule = org.outbound.rules.find((r) => r.id === ruleId);
    if (!rule) throw sfErrors.notFound();
    return { org, rule };
  };

  app.get('/_admin/orgs/:orgId/outbound-messages/:ruleId', async (request) => ruleOf(request).rule);

  app.patch('/_admin/orgs/:orgId/outbound-messages/:ruleId', async (request) => {
    const { org, rule } = ruleOf(request);
    const body = parse(outboundRulePatch, request.body);
    const next: OutboundRule = {
      ...rule,
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.condition !== undefined ? { condition: body.condition } : {}),
      ...(body.fields !== undefined ? { fields: body.fields } : {}),
      ...(body.endpointUrl !== undefined ? { endpointUrl: body.endpointUrl } : {}),
      ...(body.active !== undefined ? { active: body.active } : {}),
    };
    next.fields = checkRuleFields(org, next);
    Object.assign(rule, next);
    registry.changed();
    return rule;
  });

  app.delete('/_admin/orgs/:orgId/outbound-messages/:ruleId', async (request, reply) => {
    const { org, rule } = ruleOf(request);
    org.outbound.rules = org.outbound.rules.filter((r) => r.id !== rule.id);
    org.outbound.queue = org.outbound.queue.filter((n) => n.ruleId !== rule.id);
    registry.changed();
    return reply.code(204).send();
  });

  app.get('/_admin/orgs/:orgId/outbound-settings', async (request) => orgOf(request).outbound.settings);

  app.patch('/_admin/orgs/:orgId/outbound-settings', async (request) => {
    const org = orgOf(request);
    const body = parse(outboundSettingsBody, request.body);
    for (const [key, value] of Object.entries(body)) {
      if (value !== undefined) Object.assign(org.outbound.settings, { [key]: value });
    }
    registry.changed();
    return org.outbound.settings;
  });

  app.get('/_admin/orgs/:orgId/deliveries', async (request) => {
    const org = orgOf(request);
    return { queued: org.outbound.queue, log: org.outbound.log };
  });

  app.post('/_admin/orgs/:orgId/leads/:leadId/convert', async (request) => {
    const org = orgOf(request);
    const { leadId } = request.params as { leadId: string };
    const body = parse(convertBody, request.body);
    const result = convertLead(
      { org, now: Date.now(), version: '62.0', allowDuplicates: true },
      leadId,
      body,
    );
    registry.changed();
    return result;
  });
}
