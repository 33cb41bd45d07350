import type { SandboxStore } from '../store.ts';
import { sfDateTime } from './datetime.ts';
import { KEY_PREFIXES, newPod, randomId, randomToken, to18 } from './ids.ts';
import { OBJECT_NAMES } from './schema.ts';
import {
  DEFAULT_DAILY_API_REQUESTS,
  DEFAULT_FAULTS,
  DEFAULT_OUTBOUND_SETTINGS,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  type OrgState,
  type OutboundSettings,
  type PersistedState,
} from './state.ts';

const STORE_KEY = 'salesforce';
/** Saves are coalesced: a burst of changes costs one write, at most this long after the first. */
const SAVE_DELAY_MS = 200;
/**
 * A change that is only the API-usage count (every REST call makes one) waits longer: a
 * large org's state takes tens of milliseconds to write, during which the org answers
 * nobody, and a busy client would otherwise pay that five times a second for a counter.
 */
const USAGE_SAVE_DELAY_MS = 5000;

export interface NewOrgOptions {
  name?: string | undefined;
  dailyApiRequests?: number | undefined;
  redirectUris?: string[] | undefined;
  tokenLifetimeSeconds?: number | undefined;
  outbound?: Partial<OutboundSettings> | undefined;
}

function isPersistedState(value: unknown): value is PersistedState {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { version?: unknown; orgs?: unknown };
  return (
    candidate.version === 1 &&
    Array.isArray(candidate.orgs) &&
    candidate.orgs.every((org: unknown) => typeof org === 'object' && org !== null && 'orgId' in org)
  );
}

/**
 * Every org of the sandbox, kept in memory and written through the `SandboxStore`. Callers
 * mutate an org in place and then call `changed()`; writes are debounced and `flush()`
 * forces the pending one (the plugin calls it on close, so no change is lost).
 */
export class OrgRegistry {
  private readonly orgs = new Map<string, OrgState>();
  private saveTimer: NodeJS.Timeout | null = null;
  private saveDue = 0;

  constructor(private readonly store: SandboxStore) {
    const saved = store.load(STORE_KEY);
    if (isPersistedState(saved)) {
      for (const org of saved.orgs) this.orgs.set(org.orgId, org);
    }
  }

  changed(): void {
    this.saveWithin(SAVE_DELAY_MS);
  }

  /** Only an org's API-usage count changed (see `USAGE_SAVE_DELAY_MS`). */
  counted(): void {
    this.saveWithin(USAGE_SAVE_DELAY_MS);
  }

  private saveWithin(delayMs: number): void {
    const due = Date.now() + delayMs;
    if (this.saveTimer && this.saveDue <= due) return;
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveDue = due;
    this.saveTimer = setTimeout(() => this.flush(), delayMs);
  }

  flush(): void {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
    }
    const state: PersistedState = { version: 1, orgs: [...this.orgs.values()] };
    this.store.save(STORE_KEY, state);
  }

  list(): OrgState[] {
    return [...this.orgs.values()];
  }

  get(orgId: string): OrgState | undefined {
    return this.orgs.get(to18(orgId));
  }

  byClientId(clientId: string): OrgState | undefined {
    return this.list().find((org) => org.clientId === clientId);
  }

  byUsername(username: string): OrgState | undefined {
    const lower = username.toLowerCase();
    return this.list().find((org) => org.username.toLowerCase() === lower);
  }

  /** Access tokens start with the 15-character org ID and `!`, as real session IDs do. */
  byAccessToken(token: string): OrgState | undefined {
    const bang = token.indexOf('!');
    if (bang !== 15) return undefined;
    const org = this.get(token.slice(0, 15));
    return org && token in org.auth.accessTokens ? org : undefined;
  }

  byRefreshToken(token: string): OrgState | undefined {
    return this.list().find((org) => token in org.auth.refreshTokens);
  }

  byAuthCode(code: string): OrgState | undefined {
    return this.list().find((org) => code in org.auth.codes);
  }

  create(options: NewOrgOptions, now: number): OrgState {
    const orgId = randomId(KEY_PREFIXES.Organization);
    const userId = randomId(KEY_PREFIXES.User);
    const slug = orgId.slice(-6).toLowerCase();
    const records: OrgState['records'] = {};
    for (const name of OBJECT_NAMES) records[name] = {};
    const org: OrgState = {
      orgId,
      name: options.name ?? `Sandbox org ${slug}`,
      pod: newPod(),
      sequence: 0,
      createdAt: sfDateTime(now),
      clientId: `3MVG9${randomToken(36)}`,
      clientSecret: randomToken(32),
      username: `admin@${slug}.sandbox.example`,
      password: randomToken(12),
      userId,
      redirectUris: options.redirectUris ?? [],
      tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS,
      limits: { dailyApiRequests: options.dailyApiRequests ?? DEFAULT_DAILY_API_REQUESTS },
      usage: { day: sfDateTime(now).slice(0, 10), count: 0 },
      customFields: {},
      records,
      auth: { accessTokens: {}, refreshTokens: {}, codes: {} },
      faults: { ...DEFAULT_FAULTS, errorStatuses: [...DEFAULT_FAULTS.errorStatuses] },
      outbound: {
        rules: [],
        queue: [],
        log: [],
        settings: { ...DEFAULT_OUTBOUND_SETTINGS, ...(options.outbound ?? {}) },
      },
    };
    const stamp = sfDateTime(now);
    const userRecords = org.records.User ?? {};
    userRecords[userId] = {
      Id: userId,
      Username: org.username,
      FirstName: 'Sandbox',
      LastName: 'Admin',
      Name: 'Sandbox Admin',
      Email: org.username,
      Alias: 'sadmin',
      IsActive: true,
      CreatedDate: stamp,
      LastModifiedDate: stamp,
      SystemModstamp: stamp,
    };
    org.records.User = userRecords;
    this.orgs.set(orgId, org);
    this.changed();
    return org;
  }

  delete(orgId: string): boolean {
    const deleted = this.orgs.delete(to18(orgId));
    if (deleted) this.changed();
    return deleted;
  }
}
