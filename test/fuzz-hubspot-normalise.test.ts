import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { valueIssues } from '../src/core/outside-input.ts';
import { hubspotBatchSchema, objectTypeOf } from '../src/crm/hubspot/hooks/events.ts';
import { checkHubspotSignature, maxTimestampAgeMs } from '../src/crm/hubspot/hooks/signature.ts';
import { normalizeCompany, normalizeEmail, normalizeText } from '../src/receiver/process/fuzzy.ts';
import { expectEachRan, fuzz, fuzzRuns, fuzzTimeout, mutated, printFuzzCounts } from './helpers/fuzz.ts';

printFuzzCounts('fuzz-hubspot-normalise');
const runs = fuzzRuns.cheap;
const timeout = fuzzTimeout(runs, 10);

describe('HubSpot webhook signature (v3)', { timeout }, () => {
  const signedArb = fc.record({
    secret: fc.string({ minLength: 1, maxLength: 40 }),
    method: fc.constantFrom('POST', 'PUT', 'GET'),
    path: fc.webPath(),
    body: fc.uint8Array({ maxLength: 300 }),
    age: fc.integer({ min: -maxTimestampAgeMs + 1000, max: maxTimestampAgeMs - 1000 }),
  });
  const now = Date.UTC(2026, 0, 1);
  const sign = (secret: string, method: string, url: string, body: Uint8Array, timestamp: string) =>
    createHmac('sha256', secret)
      .update(Buffer.concat([Buffer.from(method + url, 'utf8'), Buffer.from(body)]))
      .update(timestamp, 'utf8')
      .digest('base64');

  it('accepts the right signature and refuses any changed byte, URL, method or timestamp', () => {
    fuzz(
      'signature: forged by one change',
      fc.tuple(
        signedArb,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.constantFrom('body', 'url', 'ts', 'sig'),
      ),
      ([request, at, flip, what]) => {
        const url = `https://refsync.example${request.path}`;
        const timestamp = String(now - request.age);
        const signature = sign(request.secret, request.method, url, request.body, timestamp);
        const headers = { 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': timestamp };
        const rawBody = Buffer.from(request.body);
        const check = (changed: { url?: string; rawBody?: Buffer; headers?: Record<string, string> }) =>
          checkHubspotSignature(
            {
              method: request.method,
              url: changed.url ?? url,
              rawBody: changed.rawBody ?? rawBody,
              headers: changed.headers ?? headers,
            },
            request.secret,
            { allowLegacy: false, now },
          );
        expect(check({})).toEqual({ valid: true, version: 'v3' });
        let forged: ReturnType<typeof check>;
        if (what === 'body') {
          const body = Buffer.concat([rawBody, Buffer.from([0])]);
          if (rawBody.length > 0) {
            const index = at % rawBody.length;
            body[index] = (rawBody[index] ?? 0) ^ flip;
            forged = check({ rawBody: body.subarray(0, rawBody.length) });
          } else forged = check({ rawBody: body });
        } else if (what === 'url') {
          forged = check({ url: `${url}x` });
        } else if (what === 'ts') {
          forged = check({
            headers: {
              ...headers,
              'x-hubspot-request-timestamp': String(Number(timestamp) + 1 + (at % 1000)),
            },
          });
        } else {
          const bytes = Buffer.from(signature, 'base64');
          bytes[at % bytes.length] = (bytes[at % bytes.length] ?? 0) ^ flip;
          forged = check({ headers: { ...headers, 'x-hubspot-signature-v3': bytes.toString('base64') } });
        }
        expect(forged.valid).toBe(false);
      },
      runs,
    );
  });

  it('refuses a correctly signed request whose timestamp is stale or far ahead', () => {
    fuzz(
      'signature: stale timestamps',
      fc.tuple(
        signedArb,
        fc.integer({ min: maxTimestampAgeMs + 1, max: 10 * 365 * 86_400_000 }),
        fc.boolean(),
      ),
      ([request, off, ahead]) => {
        const url = `https://refsync.example${request.path}`;
        const timestamp = String(ahead ? now + off : now - off);
        const headers = {
          'x-hubspot-signature-v3': sign(request.secret, request.method, url, request.body, timestamp),
          'x-hubspot-request-timestamp': timestamp,
        };
        const check = checkHubspotSignature(
          { method: request.method, url, rawBody: Buffer.from(request.body), headers },
          request.secret,
          { allowLegacy: true, now },
        );
        expect(check).toEqual({
          valid: false,
          reason: 'X-HubSpot-Request-Timestamp is more than 5 minutes off',
        });
      },
      runs,
    );
  });

  it('never throws on arbitrary headers and never accepts them', () => {
    const headerValue = fc.option(
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 }),
      ),
      { nil: undefined },
    );
    fuzz(
      'signature: arbitrary headers',
      fc.record({
        v3: headerValue,
        ts: fc.oneof(headerValue, fc.integer().map(String)),
        legacy: headerValue,
        version: headerValue,
        body: fc.uint8Array({ maxLength: 100 }),
        allowLegacy: fc.boolean(),
      }),
      (input) => {
        const headers: Record<string, string | string[] | undefined> = {
          'x-hubspot-signature-v3': input.v3,
          'x-hubspot-request-timestamp': input.ts,
          'x-hubspot-signature': input.legacy,
          'x-hubspot-signature-version': input.version,
        };
        const check = checkHubspotSignature(
          {
            method: 'POST',
            url: 'https://refsync.example/hooks/hubspot',
            rawBody: Buffer.from(input.body),
            headers,
          },
          'the-real-client-secret',
          { allowLegacy: input.allowLegacy, now },
        );
        expect(check.valid).toBe(false);
      },
      runs,
    );
  });
});

describe('HubSpot webhook batch parser', { timeout }, () => {
  const eventArb = fc.record(
    {
      eventId: fc.oneof(fc.nat(), fc.stringMatching(/^\d{1,20}$/)),
      portalId: fc.oneof(fc.nat(), fc.stringMatching(/^\d{1,20}$/)),
      subscriptionType: fc.constantFrom(
        'deal.propertyChange',
        'contact.propertyChange',
        'object.propertyChange',
        '__proto__.x',
        'constructor',
      ),
      objectId: fc.nat(),
      objectTypeId: fc.constantFrom('0-1', '0-3', '__proto__'),
      occurredAt: fc.nat(),
      propertyName: fc.string({ maxLength: 20 }),
      propertyValue: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
    },
    { requiredKeys: ['eventId', 'portalId', 'subscriptionType'] },
  );
  const validBatch = JSON.stringify([
    {
      eventId: 1,
      portalId: 62515,
      subscriptionType: 'deal.propertyChange',
      objectId: 5,
      occurredAt: 1700000000000,
      propertyName: 'dealstage',
      propertyValue: 'closedwon',
    },
  ]);

  const readBatch = (text: string) => {
    let received: unknown;
    try {
      received = JSON.parse(text);
    } catch {
      return;
    }
    const parsed = hubspotBatchSchema.safeParse(received);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) expect(issue.message.length).toBeGreaterThan(0);
      return;
    }
    for (const event of parsed.data) {
      expect(typeof objectTypeOf(event)).toBe('string');
      valueIssues(event);
    }
  };

  it('reads generated batches and names each event object type', () => {
    fuzz(
      'webhook: generated batches',
      fc.array(eventArb, { maxLength: 20 }),
      (events) => readBatch(JSON.stringify(events)),
      runs,
    );
  });
  it('survives mutated and arbitrary JSON', () => {
    fuzz(
      'webhook: mutated batches',
      mutated(validBatch, ['{"__proto__":{}}', '[', ']', '"', '1e999', '-0', '{}', 'null']),
      readBatch,
      runs,
    );
    fuzz(
      'webhook: arbitrary JSON',
      fc.jsonValue().map((value) => JSON.stringify(value)),
      readBatch,
      runs,
    );
  });
});

describe('fuzzy matcher normalisation', { timeout }, () => {
  const local = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$/);
  const domain = fc.oneof(
    fc.constantFrom('gmail.com', 'googlemail.com', 'GMail.com', 'example.com', 'exämple.de'),
    fc.domain(),
  );
  const anyText = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
  );

  it('is idempotent for emails, names and companies', () => {
    fuzz(
      'normalise: idempotent',
      fc.oneof(anyText, fc.emailAddress()),
      (text) => {
        const email = normalizeEmail(text);
        if (email !== undefined) expect(normalizeEmail(email)).toBe(email);
        expect(normalizeText(normalizeText(text))).toBe(normalizeText(text));
        expect(normalizeCompany(normalizeCompany(text))).toBe(normalizeCompany(text));
      },
      runs,
    );
  });

  it('matches an email with its case, whitespace and +tag variants, both ways round', () => {
    fuzz(
      'normalise: email variants match symmetrically',
      fc.record({
        local,
        domain,
        tag: fc.option(fc.stringMatching(/^[a-z0-9]{1,8}$/), { nil: undefined }),
        upper: fc.boolean(),
        pad: fc.constantFrom('', ' ', '\t', '  '),
      }),
      ({ local: name, domain: host, tag, upper, pad }) => {
        const plain = `${name}@${host}`;
        let variant = `${name}${tag === undefined ? '' : `+${tag}`}@${host}`;
        if (upper) variant = variant.toUpperCase();
        variant = `${pad}${variant}${pad}`;
        const a = normalizeEmail(plain);
        const b = normalizeEmail(variant);
        const matches = (x: string, y: string) => {
          const nx = normalizeEmail(x);
          return nx !== undefined && nx === normalizeEmail(y);
        };
        expect(matches(plain, variant)).toBe(matches(variant, plain));
        if (plain.toUpperCase().toLowerCase() === plain.toLowerCase()) expect(b).toBe(a);
      },
      runs,
    );
  });

  it('says the same about any two strings in either order', () => {
    fuzz(
      'normalise: symmetric on arbitrary pairs',
      fc.tuple(fc.oneof(anyText, fc.emailAddress()), fc.oneof(anyText, fc.emailAddress())),
      ([x, y]) => {
        expect(normalizeEmail(x) === normalizeEmail(y)).toBe(normalizeEmail(y) === normalizeEmail(x));
        expect(normalizeCompany(x) === normalizeCompany(y)).toBe(normalizeCompany(y) === normalizeCompany(x));
      },
      runs,
    );
  });

  it('ran the promised number of cases', () => expectEachRan(runs));
});
