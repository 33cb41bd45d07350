import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { askCrm } from '../../connections/ask-crm.ts';
import { canWireSandbox } from '../../connections/destinations.ts';
import { objectName } from '../../connections/routes.ts';
import { type ConnectionRow, getConnection, withCrm } from '../../connections/service.ts';
import type { AppContext } from '../../context.ts';
import { AppError, validationFailed } from '../../core/errors.ts';
import { CrmError } from '../../crm/errors.ts';
import type { SandboxWired, WiringNeeds } from '../../crm/hooks.ts';
import { connectors } from '../../crm/registry.ts';
import { callerOf } from '../../http/auth.ts';
import { canonicalObject } from '../process/objects.ts';
import { type ReceiverSettingsRow, settingsFor } from '../settings/service.ts';
import { hookUrlsOf } from './hook-secret.ts';

/**
 * `POST /connections/{id}/sandbox-wiring`: for a connection to this server's own sandbox
 * CRM, sets up the CRM side so its events reach refsync (what a person does by hand in a real
 * CRM: a Salesforce outbound message, HubSpot webhook subscriptions). What to wire comes
 * from the receiver settings on the connection: the objects their status triggers watch, and
 * on those objects the fields the triggers, target match, member match and field updates
 * read. Without settings, the CRM's usual objects are wired.
 */

function add(needs: Map<string, WiringNeeds>, object: string, field: string, trigger: boolean): void {
  const need = needs.get(object);
  if (!need) return;
  (trigger ? need.triggerFields : need.readFields).push(field);
}

/** Per trigger object, the fields the settings read on it. */
export function wiringNeedsOf(settings: readonly ReceiverSettingsRow[]): WiringNeeds[] {
  const needs = new Map<string, WiringNeeds>();
  for (const row of settings) {
    for (const trigger of row.statusTriggers) {
      if (!needs.has(trigger.object)) {
        needs.set(trigger.object, { object: trigger.object, triggerFields: [], readFields: [] });
      }
    }
  }
  for (const row of settings) {
    for (const trigger of row.statusTriggers) add(needs, trigger.object, trigger.field, true);
    for (const rule of [...row.targetMatch, ...row.memberMatch, ...row.fieldUpdates]) {
      add(needs, rule.object, rule.field, false);
    }
  }
  return [...needs.values()];
}

function notASandbox(connection: ConnectionRow): AppError {
  const crm = connectors[connection.provider].names.crm;
  return new AppError(
    'not_a_sandbox',
    `Connection ${connection.id} talks to a real ${crm} account (${connection.baseUrl}), not to this server's ` +
      `sandbox: set up the ${crm} side by hand with the URLs of GET /api/v1/connections/${connection.id}/hooks ` +
      '(see the sales receiver guide).',
  );
}

/**
 * The needs with only the fields the CRM has (a rule naming a missing one is refused), and
 * an object the CRM does not have refused by name.
 */
async function presentFields(
  ctx: AppContext,
  connection: ConnectionRow,
  needs: WiringNeeds[],
  given: boolean,
): Promise<WiringNeeds[]> {
  return withCrm(ctx, connection.id, async (session, crm) => {
    const kept: WiringNeeds[] = [];
    for (const need of needs) {
      let names: Set<string>;
      try {
        names = new Set((await crm.describe(session, need.object)).map((field) => field.name.toLowerCase()));
      } catch (error) {
        if (!(error instanceof CrmError) || (error.kind !== 'not_found' && error.kind !== 'validation')) {
          throw error;
        }
        if (given)
          throw validationFailed([{ field: 'object', message: `the CRM has no object ${need.object}` }]);
        continue;
      }
      const has = (field: string) => names.has(field.toLowerCase());
      kept.push({
        object: need.object,
        triggerFields: need.triggerFields.filter(has),
        readFields: need.readFields.filter(has),
      });
    }
    return kept;
  });
}

export async function wireSandbox(
  ctx: AppContext,
  workspaceId: string,
  connectionId: string,
  object: string | undefined,
): Promise<{ wired: SandboxWired[]; unchanged: SandboxWired[] }> {
  const connection = await getConnection(ctx.db, workspaceId, connectionId);
  const wiring = connectors[connection.provider].hooks?.sandbox;
  if (!wiring || !canWireSandbox(ctx, connection)) throw notASandbox(connection);
  const canonical = object === undefined ? undefined : canonicalObject(connection.provider, object);
  const fromSettings = wiringNeedsOf(await settingsFor(ctx.db, workspaceId, connection.id, false));
  let needs = fromSettings.length > 0 ? fromSettings : [...wiring.defaults];
  if (canonical !== undefined) {
    const known = [...fromSettings, ...wiring.defaults].find((need) => need.object === canonical);
    needs = [known ?? { object: canonical, triggerFields: [], readFields: [] }];
  }
  return askCrm(async () => {
    const present = await presentFields(ctx, connection, needs, canonical !== undefined);
    const accountId = connection.accountId;
    if (accountId === null) throw notASandbox(connection);
    return wiring.wire({
      baseUrl: connection.baseUrl,
      accountId,
      urls: await hookUrlsOf(ctx, connection),
      needs: present,
    });
  });
}

const wiredSchema = z.object({
  object: z.string().describe('The CRM object (`app` for the HubSpot app-wide webhook target URL)'),
  kind: z.enum(['outbound_message', 'webhook_subscription']),
  detail: z.string(),
});

export const sandboxWiringRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post(
    '/connections/:id/sandbox-wiring',
    {
      schema: {
        tags: ['connections'],
        summary: "Wire a sandbox CRM's events to refsync",
        description:
          "Only for a connection to this server's own sandbox CRM (others answer 409 `not_a_sandbox`). " +
          'Salesforce: an outbound message per object, on every change, sending the fields the receiver ' +
          "reads, to the connection's outbound message URL. HubSpot: the app's webhook target URL and a " +
          'propertyChange subscription per watched property. Objects: those the status triggers of the ' +
          'receiver settings on this connection watch (or `object` alone); without settings, Lead, Contact ' +
          'and Opportunity (Salesforce) or deals and contacts (HubSpot). Calling it again wires nothing new: ' +
          'what is in place comes back as `unchanged`.',
        params: z.object({ id: z.string() }),
        body: z.object({ object: objectName.optional().describe('Wire this object only') }),
        response: {
          200: z.object({
            wired: z.array(wiredSchema).describe('What this call set up or changed'),
            unchanged: z.array(wiredSchema).describe('What was already in place'),
            message: z.string(),
          }),
        },
      },
    },
    async (request) => {
      const { wired, unchanged } = await wireSandbox(
        ctx,
        callerOf(request).workspaceId,
        request.params.id,
        request.body.object,
      );
      const message =
        wired.length === 0
          ? 'Nothing new to wire: the sandbox already sends these events to refsync.'
          : `Wired ${wired.length} ${wired.length === 1 ? 'thing' : 'things'} in the sandbox; its events now reach refsync.`;
      return { wired, unchanged, message };
    },
  );
};
