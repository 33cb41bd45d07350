import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { salesEntrySubscriber } from '../src/receiver/process/subscriber.ts';
import { type ApiClient, startTestApp, type TestApp } from './helpers/app.ts';
import { outcomeOf } from './helpers/receiver.ts';

/**
 * Values PostgreSQL or JavaScript cannot hold, sent through `POST /api/v1/sales-entries`
 * (and an entry edit): a 400 naming the item and field, and nothing written, never a 500.
 * (The CRM hooks' side: receiver-ingest-poison.integration.test.ts.)
 */

interface ErrorAnswer {
  error: { code: string; message: string; details?: Array<{ field: string; message: string }> };
}

let testApp: TestApp;
let api: ApiClient;

beforeAll(async () => {
  testApp = await startTestApp({ subscribers: [salesEntrySubscriber] });
  api = (await testApp.newWorkspace()).api;
});
afterAll(() => testApp.close());

/** The workspace's entries, as the entries API lists them. */
async function entries(): Promise<Array<{ recordId: string | null; fields: unknown }>> {
  const list = await api.get<{ data: Array<{ recordId: string | null; fields: unknown }> }>(
    '/api/v1/sales-entries?limit=200',
  );
  expect(list.status).toBe(200);
  return list.body.data;
}

/** JSON nested `depth` objects deep, as text: JSON.stringify could not write it. */
const deepJson = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('sales entries through the API', () => {
  const post = (body: string) =>
    api.request<ErrorAnswer>('POST', '/api/v1/sales-entries', {
      rawBody: body,
      headers: { 'content-type': 'application/json' },
    });

  const good = { objectType: 'Lead', recordId: 'api-good', fields: { note: 'fine' } };

  it.each<[string, string, Array<{ field: string; message: string }>]>([
    [
      'a NUL in the second item',
      JSON.stringify([good, { objectType: 'Lead', fields: { note: 'a\u0000b' } }]),
      [{ field: '1.fields.note', message: 'contains a NUL character' }],
    ],
    [
      'a lone surrogate',
      JSON.stringify([good, { objectType: 'Lead', fields: { list: ['ok', 'x\udfff'] } }]),
      [{ field: '1.fields.list.1', message: 'contains a lone surrogate' }],
    ],
    [
      'a lone surrogate in a key',
      JSON.stringify({ objectType: 'Lead', fields: { 'bad\ud800': 1 } }),
      [{ field: 'fields.bad\\ud800', message: 'contains a lone surrogate' }],
    ],
    [
      'a NUL in the object type',
      JSON.stringify({ objectType: 'Le\u0000ad', fields: {} }),
      [{ field: 'objectType', message: 'contains a NUL character' }],
    ],
    [
      'a NUL in the event ID',
      JSON.stringify([good, { eventId: 'e\u0000', objectType: 'Lead', fields: {} }]),
      [{ field: '1.eventId', message: 'contains a NUL character' }],
    ],
    [
      'year 0',
      JSON.stringify([good, { objectType: 'Lead', fields: {}, occurredAt: '0000-01-01T00:00:00Z' }]),
      [{ field: '1.occurredAt', message: 'is not between 1970-01-01 and 9999-12-31' }],
    ],
    [
      'a time before 1970',
      JSON.stringify({ objectType: 'Lead', fields: {}, occurredAt: '1969-12-31T23:59:59Z' }),
      [{ field: 'occurredAt', message: 'is not between 1970-01-01 and 9999-12-31' }],
    ],
    [
      'a constructor key',
      JSON.stringify([good, { objectType: 'Lead', fields: { constructor: 'x' } }]),
      [{ field: '1.fields.constructor', message: 'is a reserved name' }],
    ],
    [
      'a prototype key',
      JSON.stringify({ objectType: 'Lead', fields: { deal: { prototype: {} } } }),
      [{ field: 'fields.deal.prototype', message: 'is a reserved name' }],
    ],
    [
      'an entry nested 33 levels deep',
      JSON.stringify({ objectType: 'Lead', fields: JSON.parse(deepJson(32)) }),
      [{ field: `fields${'.a'.repeat(31)}`, message: 'is nested deeper than 32 levels' }],
    ],
    [
      'fields 100,000 levels deep',
      `[${JSON.stringify(good)},{"objectType":"Lead","fields":${deepJson(100_000)}}]`,
      [{ field: `1.fields${'.a'.repeat(31)}`, message: 'is nested deeper than 32 levels' }],
    ],
    [
      'too many fields',
      JSON.stringify({
        objectType: 'Lead',
        fields: Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`f${i}`, i])),
      }),
      [{ field: 'fields', message: 'has more than 10000 keys and items' }],
    ],
  ])('answers 400 to %s, naming the item and field, and saves nothing', async (_label, body, details) => {
    const before = (await entries()).length;
    const answer = await post(body);
    expect(answer.status, JSON.stringify(answer.body)).toBe(400);
    expect(answer.body.error.code).toBe('validation_failed');
    expect(answer.body.error.details).toEqual(details);
    expect((await entries()).length).toBe(before);
  });

  it('takes an entry nested 32 levels deep', async () => {
    const answer = await post(
      JSON.stringify({ objectType: 'Lead', recordId: 'api-deep', fields: JSON.parse(deepJson(31)) }),
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const saved = (await entries()).find((entry) => entry.recordId === 'api-deep');
    expect(saved?.fields).toEqual(JSON.parse(deepJson(31)));
  });

  it('answers 400 to a __proto__ key and to a body nested 100,000 deep, and saves nothing', async () => {
    const before = (await entries()).length;
    for (const body of [
      `[${JSON.stringify(good)},{"objectType":"Lead","fields":{"__proto__":{"x":1}}}]`,
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      deepJson(100_000),
    ]) {
      const answer = await post(body);
      expect(answer.status, body.slice(0, 80)).toBe(400);
      expect(answer.body.error.message).toBeTruthy();
    }
    expect((await entries()).length).toBe(before);
  });

  it('refuses an edit that puts a NUL or a reserved key in an entry', async () => {
    const saved = await api.post<{ data: Array<{ id: string }> }>('/api/v1/sales-entries', good);
    expect(saved.status).toBe(202);
    const id = saved.body.data[0]?.id ?? '';
    expect((await outcomeOf(api, id)).status).toBe('failed');
    const answer = await api.request<ErrorAnswer>('PATCH', `/api/v1/sales-entries/${id}`, {
      rawBody: JSON.stringify({ fields: { note: 'x\u0000', deal: { prototype: 1 } } }),
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(400);
    expect(answer.body.error.details).toEqual([
      { field: 'fields.note', message: 'contains a NUL character' },
      { field: 'fields.deal.prototype', message: 'is a reserved name' },
    ]);
    expect((await api.get<{ fields: unknown }>(`/api/v1/sales-entries/${id}`)).body.fields).toEqual(
      good.fields,
    );
  });
});
