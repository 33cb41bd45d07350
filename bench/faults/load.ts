import { createHmac } from 'node:crypto';
import type { Wiring } from './setup.ts';

/**
 * The traffic of a fault run, sent the way CRMs and scripts send it: every request is retried
 * until it is acknowledged (a CRM resends what it got no 2xx for), and a few acknowledged
 * batches are sent again anyway (CRMs deliver twice). Events carry the CRM's own time, one
 * second apart in the order they were made.
 */

export interface LoadPlan {
  referrals: number;
  events: number;
  /** How long the events are spread over. */
  durationMs: number;
}

export interface LoadResult {
  referralIds: string[];
  /** Dedupe keys of the events a 2xx acknowledged. */
  acked: Set<string>;
  sentEvents: number;
  requests: number;
  retries: number;
  /** 4xx answers other than 409/429: bad requests the harness made (should stay 0). */
  refused: string[];
}

type Kind = 'salesforce' | 'hubspot' | 'api';
interface PlannedEvent {
  index: number;
  kind: Kind;
  /** Index into the referrals created so far, chosen when its batch is sent. */
  referral: number;
  won: boolean;
  at: number;
  key: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Load {
  readonly result: LoadResult = {
    referralIds: [],
    acked: new Set(),
    sentEvents: 0,
    requests: 0,
    retries: 0,
    refused: [],
  };
  private contactOf = new Map<string, string>();

  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly wiring: Wiring,
  ) {}

  /** Sends until a 2xx; network errors, 5xx, 409 (key in use) and 429 are retried. */
  private async deliver(
    path: string,
    init: { body: string; headers: Record<string, string> },
  ): Promise<{ ok: boolean; text: string }> {
    for (let attempt = 0; ; attempt++) {
      this.result.requests += 1;
      if (attempt > 0) this.result.retries += 1;
      try {
        const response = await fetch(`${this.baseUrl}${path}`, { method: 'POST', ...init });
        const text = await response.text();
        if (response.ok) return { ok: true, text };
        if (response.status < 500 && ![409, 429].includes(response.status)) {
          this.result.refused.push(`${path.split('?')[0]}: ${response.status} ${text.slice(0, 200)}`);
          return { ok: false, text };
        }
      } catch {
        // Connection cut: resend.
      }
      await sleep(Math.min(5000, 200 * 2 ** Math.min(attempt, 5)));
    }
  }

  private api(path: string, body: unknown, key?: string) {
    return this.deliver(path, {
      body: JSON.stringify(body),
      headers: {
        authorization: `Bearer ${this.apiKey}`,
        'content-type': 'application/json',
        ...(key ? { 'idempotency-key': key } : {}),
      },
    });
  }

  /** Creates referrals spread over `durationMs` (retrying each with its Idempotency-Key). */
  async createReferrals(count: number, durationMs: number, concurrency = 4): Promise<void> {
    let next = 0;
    const started = Date.now();
    const worker = async () => {
      for (let index = next++; index < count; index = next++) {
        const due = started + (index * durationMs) / count;
        if (due > Date.now()) await sleep(due - Date.now());
        const answer = await this.api(
          '/api/v1/referrals',
          {
            programId: this.wiring.programId,
            memberId: this.wiring.memberIds[index % this.wiring.memberIds.length],
            firstName: 'Fault',
            lastName: `Tolerant ${index}`,
            company: 'Faults Inc',
            email: `referral${index}@faults.test`,
          },
          `faults-referral-${index}`,
        );
        if (answer.ok) this.result.referralIds.push((JSON.parse(answer.text) as { id: string }).id);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  /** HubSpot contacts refsync pushed, by referral (HubSpot events name a contact). */
  async refreshContacts(): Promise<void> {
    let cursor: string | undefined;
    do {
      const query = new URLSearchParams({ connectionId: this.wiring.hubspotId, limit: '100' });
      if (cursor) query.set('cursor', cursor);
      const response = await fetch(`${this.baseUrl}/api/v1/push-log?${query}`, {
        headers: { authorization: `Bearer ${this.apiKey}` },
      }).catch(() => undefined);
      if (!response?.ok) return;
      const page = (await response.json()) as {
        data: Array<{ subjectId: string; crmId: string | null }>;
        nextCursor?: string | null;
      };
      for (const entry of page.data) if (entry.crmId) this.contactOf.set(entry.subjectId, entry.crmId);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  private plan(events: number, startAt: number): PlannedEvent[] {
    const kinds: Kind[] = ['salesforce', 'salesforce', 'hubspot', 'api'];
    return Array.from({ length: events }, (_, index) => ({
      index,
      kind: kinds[index % kinds.length] ?? 'api',
      referral: -1,
      won: Math.random() < 0.3,
      at: startAt + index * 1000,
      key: `faults-${startAt}-${index}`,
    }));
  }

  private salesforceMessage(batch: PlannedEvent[]): { body: string; keys: string[] } {
    const notifications = batch.map((event) => {
      const id = `04l${String(event.index).padStart(15, '0')}`;
      const referralId = this.result.referralIds[event.referral] ?? '';
      const status = event.won ? 'Closed - Converted' : 'Working - Contacted';
      return {
        id,
        xml:
          `<Notification><Id>${id}</Id><sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">` +
          `<sf:Id>00Q${String(event.referral).padStart(15, '0')}</sf:Id><sf:Status>${status}</sf:Status>` +
          `<sf:Refsync_Referral_Id__c>${referralId}</sf:Refsync_Referral_Id__c>` +
          `<sf:SystemModstamp>${new Date(event.at).toISOString()}</sf:SystemModstamp></sObject></Notification>`,
      };
    });
    const body =
      '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">' +
      `<OrganizationId>${this.wiring.org.orgId}</OrganizationId><ActionId>04k000000000001AAA</ActionId>` +
      `${notifications.map((n) => n.xml).join('')}</notifications></soapenv:Body></soapenv:Envelope>`;
    return { body, keys: notifications.map((n) => `sf:${n.id}`) };
  }

  private hubspotBatch(batch: PlannedEvent[]): { body: string; keys: string[] } | undefined {
    const known = this.result.referralIds.filter((id) => this.contactOf.has(id));
    if (known.length === 0) return undefined;
    const events = batch.map((event, index) => {
      const referralId = this.result.referralIds[event.referral] ?? '';
      const contact = this.contactOf.get(referralId) ?? this.contactOf.get(known[index % known.length] ?? '');
      return {
        eventId: event.at,
        subscriptionId: 1,
        portalId: this.wiring.portal.portalId,
        appId: this.wiring.portal.appId,
        occurredAt: event.at,
        subscriptionType: 'contact.propertyChange',
        attemptNumber: 0,
        objectId: Number(contact),
        propertyName: 'lifecyclestage',
        propertyValue: event.won ? 'customer' : 'salesqualifiedlead',
      };
    });
    return {
      body: JSON.stringify(events),
      keys: events.map((event) => `hs:${this.wiring.portal.portalId}:${event.eventId}`),
    };
  }

  private async sendHubspot(body: string) {
    const timestamp = String(Date.now());
    const url = `${this.baseUrl}/hooks/hubspot`;
    const signature = createHmac('sha256', this.wiring.portal.clientSecret)
      .update(`POST${url}${body}`)
      .update(timestamp)
      .digest('base64');
    return this.deliver('/hooks/hubspot', {
      body,
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature-v3': signature,
        'x-hubspot-request-timestamp': timestamp,
      },
    });
  }

  private async sendBatch(kind: Kind, batch: PlannedEvent[]): Promise<void> {
    while (this.result.referralIds.length === 0) await sleep(200);
    for (const event of batch) event.referral = Math.floor(Math.random() * this.result.referralIds.length);
    let sent: { keys: string[]; send: () => Promise<{ ok: boolean }> } | undefined;
    if (kind === 'salesforce') {
      const message = this.salesforceMessage(batch);
      sent = {
        keys: message.keys,
        send: () =>
          this.deliver(this.wiring.salesforceHookPath, {
            body: message.body,
            headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
          }),
      };
    } else if (kind === 'hubspot') {
      let message = this.hubspotBatch(batch);
      while (!message) {
        await sleep(1000);
        await this.refreshContacts();
        message = this.hubspotBatch(batch);
      }
      const body = message.body;
      sent = { keys: message.keys, send: () => this.sendHubspot(body) };
    } else {
      const entries = batch.map((event) => ({
        eventId: event.key,
        objectType: 'order',
        recordId: `order-${event.referral}`,
        fields: { stage: event.won ? 'Won' : 'Qualified', referral: this.result.referralIds[event.referral] },
        occurredAt: new Date(event.at).toISOString(),
      }));
      sent = {
        keys: entries.map((entry) => `api:${entry.eventId}`),
        send: () => this.api('/api/v1/sales-entries', entries),
      };
    }
    const answer = await sent.send();
    this.result.sentEvents += batch.length;
    if (answer.ok) for (const key of sent.keys) this.result.acked.add(key);
    // CRMs deliver some messages twice: so does the harness.
    if (Math.random() < 0.05) await sent.send();
  }

  /** The events, in batches of 1 to 100 per source, spread over `durationMs`. */
  async sendEvents(plan: LoadPlan, concurrency = 4): Promise<void> {
    const started = Date.now();
    const events = this.plan(plan.events, Date.UTC(2026, 0, 1));
    const batches: Array<{ kind: Kind; events: PlannedEvent[] }> = [];
    const open = new Map<Kind, PlannedEvent[]>();
    const limit = new Map<Kind, number>();
    for (const event of events) {
      const batch = open.get(event.kind) ?? [];
      batch.push(event);
      open.set(event.kind, batch);
      const size = limit.get(event.kind) ?? 1 + Math.floor(Math.random() * 100);
      limit.set(event.kind, size);
      if (batch.length >= size) {
        batches.push({ kind: event.kind, events: batch });
        open.delete(event.kind);
        limit.delete(event.kind);
      }
    }
    for (const [kind, batch] of open) batches.push({ kind, events: batch });
    let next = 0;
    const gap = plan.durationMs / Math.max(1, batches.length);
    const worker = async () => {
      for (let index = next++; index < batches.length; index = next++) {
        const due = started + index * gap;
        if (due > Date.now()) await sleep(due - Date.now());
        const batch = batches[index];
        if (batch) await this.sendBatch(batch.kind, batch.events);
      }
    };
    const refresher = setInterval(() => void this.refreshContacts(), 3000);
    try {
      await Promise.all(Array.from({ length: concurrency }, worker));
    } finally {
      clearInterval(refresher);
    }
  }
}
