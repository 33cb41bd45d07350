import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { salesEntrySubscriber } from '../src/receiver/process/subscriber.ts';
import { type ApiClient, startTestApp, type TestApp } from './helpers/app.ts';
import { newProgram, newReceiverSettings, newReferral, outcomeOf } from './helpers/receiver.ts';

/**
 * Fuzzy matching with outside text that means something to SQL (`\`, `%`, `_`, quotes) or
 * to JavaScript objects (`__proto__`): each entry is matched or not matched as its text
 * says, and none of them fails with a database error or is left retrying.
 */

let testApp: TestApp;
let api: ApiClient;
let programId: string;
const referrals: Record<'underscore' | 'quote' | 'names', string> = { underscore: '', quote: '', names: '' };

beforeAll(async () => {
  testApp = await startTestApp({ subscribers: [salesEntrySubscriber] });
  const workspace = await testApp.newWorkspace();
  api = workspace.api;
  programId = await newProgram(api);
  await newReceiverSettings(api, {
    programId,
    connectionId: null,
    statusTriggers: [{ object: 'order', field: 'stage', value: 'Qualified', milestone: 'qualified' }],
  });
  referrals.underscore = (await newReferral(api, { programId, email: 'ana_lopez@evil.example' })).id;
  // A pattern ending in a lone backslash fails only against text that goes on past it.
  await newReferral(api, { programId, email: 'ana_lopez@evil.example.org' });
  referrals.quote = (await newReferral(api, { programId, email: "o'brien@quote.example" })).id;
  referrals.names = (
    await newReferral(api, { programId, firstName: 'Ann', lastName: "O'Neil", company: 'Quote Corp' })
  ).id;
});
afterAll(() => testApp.close());

/** Sends entries through the API and waits for each one's outcome. */
async function outcomes(entries: Array<{ objectType?: string; fields: Record<string, unknown> }>) {
  const answer = await api.post<{ data: Array<{ id: string }> }>(
    '/api/v1/sales-entries',
    entries.map((entry) => ({
      objectType: 'order',
      ...entry,
      fields: { stage: 'Qualified', ...entry.fields },
    })),
  );
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  return Promise.all(answer.body.data.map((saved) => outcomeOf(api, saved.id)));
}

describe('fuzzy matching with SQL pattern characters', () => {
  it('matches emails holding _ and quotes as written, and only them', async () => {
    const [underscore, quote] = await outcomes([
      { fields: { email: 'Ana_Lopez@Evil.Example' } },
      { fields: { email: "O'Brien@quote.example" } },
    ]);
    expect(underscore).toMatchObject({
      status: 'success',
      matchMethod: 'fuzzy_email',
      referralId: referrals.underscore,
    });
    expect(quote).toMatchObject({
      status: 'success',
      matchMethod: 'fuzzy_email',
      referralId: referrals.quote,
    });
  });

  it.each([
    'x@evil.example\\',
    'ana_lopez@evil.example\\',
    'ana_lopez@evil\\.example',
    'ana_lopez@evil_example',
    'anaXlopez@evil.example',
    'ana_lopez@%',
    '%@%',
    'x@_vil.example',
    "x@' OR Name != '",
    "x@quote.example' OR '1'='1",
  ])('matches no referral for the email %j, without a database error', async (email) => {
    const [entry] = await outcomes([{ fields: { email } }]);
    expect(entry).toMatchObject({ status: 'failed', referralId: null });
    expect(entry?.reason).toBe('no referral matches and no member match rule has a value in this entry');
  });

  it('matches names with quotes as written, and no name that only looks like SQL', async () => {
    const [quoted, injected, backslash] = await outcomes([
      { fields: { firstName: 'ann', lastName: "O'NEIL", company: 'Quote Corp.' } },
      { fields: { firstName: 'Ann', lastName: "' OR Name != '", company: 'Quote Corp' } },
      { fields: { firstName: 'Ann', lastName: '\\', company: '%' } },
    ]);
    expect(quoted).toMatchObject({
      status: 'success',
      matchMethod: 'fuzzy_name_company',
      referralId: referrals.names,
    });
    for (const entry of [injected, backslash]) {
      expect(entry).toMatchObject({ status: 'failed', referralId: null });
      expect(entry?.reason).toBe('no referral matches and no member match rule has a value in this entry');
    }
  });
});

describe('object types named like prototype keys', () => {
  it.each(['__proto__', 'constructor', 'hasOwnProperty'])(
    'processes an entry about a %j object to an outcome',
    async (objectType) => {
      const [entry] = await outcomes([{ objectType, fields: { email: 'someone@else.example' } }]);
      expect(entry).toMatchObject({
        status: 'ignored',
        reason: 'no status trigger matched (order.stage is empty)',
      });
    },
  );
});
