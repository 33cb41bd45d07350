import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import type { Provider } from './registry.ts';

/**
 * What a CRM's inbound hooks (Salesforce outbound messages, HubSpot webhooks) may ask of the
 * sales receiver. Hook code lives with its provider under `crm/<provider>/hooks/`; it reaches
 * the receiver only through this interface, which the receiver implements and hands in when
 * it mounts the hooks.
 */

/**
 * Where an entry came from: `api`, `poll`, or one of the `sources` a CRM's hooks declare
 * (`salesforce_outbound`, `hubspot_webhook`, ...).
 */
export type SalesEntrySource = string;

/** One CRM event as an ingest endpoint understood it, before any matching. */
export interface IncomingEntry {
  source: SalesEntrySource;
  connectionId: string | null;
  /** The CRM's event ID (outbound notification ID, webhook event ID, ...): a redelivery is the same entry. */
  dedupeKey: string;
  /** Exactly what arrived (the whole SOAP message, the webhook event JSON, the API body). */
  rawPayload: string;
  objectType?: string | undefined;
  recordId?: string | undefined;
  fields: Record<string, unknown>;
  /** When the CRM says the change happened (ordering of out-of-order deliveries). */
  occurredAt?: Date | undefined;
  requestedMilestone?: string | undefined;
  feedback?: string | undefined;
  /**
   * Why the endpoint already refused what arrived (see `refusalOf`): the entry is kept
   * `failed` with this reason and never processed.
   */
  refusal?: string | undefined;
}

/** A connection as a hook sees it. */
export interface HookConnection {
  id: string;
  workspaceId: string;
  provider: Provider;
  /** The CRM account (Salesforce org, HubSpot portal); null until connected. */
  accountId: string | null;
}

export interface HookIngest {
  config: {
    /** Where this server is reached from outside (REFSYNC_PUBLIC_URL, or its default). */
    publicUrl: string;
    /** REFSYNC_PUBLIC_URL was set (so the URL a CRM signed is known without the request). */
    publicUrlGiven: boolean;
    logLevel: string;
    hubspotLegacySignatures: boolean;
  };
  /** Saves entries (deduplicated, processing queued) before the hook answers the CRM. */
  record(workspaceId: string, entries: IncomingEntry[]): Promise<void>;
  /**
   * Keeps an authenticated sender's unreadable message as a `failed` entry that is never
   * processed; the same dedupe key again is the same entry.
   */
  keepUnreadable(
    connection: HookConnection,
    entry: { source: SalesEntrySource; dedupeKey: string; rawPayload: string; reason: string },
  ): Promise<void>;
  /** The reason an entry breaks the rule for outside input, or undefined when it can be processed. */
  refusalOf(entry: IncomingEntry): string | undefined;
  /** The refusal reason for received JSON (every value held to the rule); undefined when fine. */
  refusalOfValue(received: unknown): string | undefined;
  /** The connection of `provider` a hook URL names, when the URL's secret is its hook secret. */
  connectionForHookSecret(
    provider: Provider,
    connectionId: string,
    secret: string,
  ): Promise<HookConnection | undefined>;
  /** Every connection of `provider`, with its OAuth client secret (HubSpot signs with it). */
  connectionsWithClientSecret(provider: Provider): Promise<Array<HookConnection & { clientSecret: string }>>;
  /** The milestone codes of a referral's program, or undefined when the workspace has no such referral. */
  referralMilestones(workspaceId: string, referralId: string): Promise<string[] | undefined>;
}

/** One thing set up on the CRM side so events reach refsync. */
export interface SandboxWired {
  object: string;
  kind: 'outbound_message' | 'webhook_subscription';
  /** What it is, in words (never a secret). */
  detail: string;
}

/** What events must carry: per object, the fields triggers, matching and field updates read. */
export interface WiringNeeds {
  object: string;
  /** Fields whose change should reach refsync (HubSpot: one subscription each). */
  triggerFields: string[];
  /** Fields the receiver reads from the record (sent along where the CRM can). */
  readFields: string[];
}

/**
 * Sets up the CRM side of this provider's sandbox (mounted on this server at `baseUrl`)
 * through its admin API, so its events reach refsync's hook URLs. Idempotent: what is already
 * in place is reported as `unchanged`.
 */
export interface SandboxWiring {
  /** Objects and fields wired when no receiver settings name any. */
  defaults: readonly WiringNeeds[];
  wire(input: {
    baseUrl: string;
    accountId: string;
    urls: Record<string, string | null>;
    needs: WiringNeeds[];
  }): Promise<{ wired: SandboxWired[]; unchanged: SandboxWired[] }>;
}

/** A CRM's inbound hooks: its routes, and the URLs to give the CRM for a connection. */
export interface CrmHooks {
  /** The sales entry sources this CRM's hooks write (listed by the entries API's filter). */
  sources: readonly string[];
  /** Registered in a scope of its own, so its body parsers and error handler stay its own. */
  routes: FastifyPluginAsyncZod<{ ingest: HookIngest }>;
  /** The fields this CRM adds to `GET /connections/{id}/hooks`. */
  urlFields: Record<string, z.ZodType<string | null>>;
  /**
   * Those fields for one connection (of any provider): `base` is the public URL without a
   * trailing slash; `secret()` makes or reads the connection's hook secret.
   */
  urlsOf(
    base: string,
    connection: HookConnection,
    secret: () => Promise<string>,
  ): Promise<Record<string, string | null>>;
  /** Wiring this CRM's sandbox to the hooks; undefined when the provider has no sandbox. */
  sandbox?: SandboxWiring;
}
