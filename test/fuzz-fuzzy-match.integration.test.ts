import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeCompany, normalizeText } from '../src/receiver/process/fuzzy.ts';
import { salesEntrySubscriber } from '../src/receiver/process/subscriber.ts';
import { type ApiClient, startTestApp, type TestApp } from './helpers/app.ts';
import { fuzzAsync, fuzzRuns, fuzzTimeout, printFuzzCounts } from './helpers/fuzz.ts';
import { newProgram, newReceiverSettings, newReferral, outcomeOf } from './helpers/receiver.ts';

/**
 * The fuzzy matcher compares normalised names (accents, case, punctuation and spacing
 * removed); the referrals it compares must be the ones whose normalised names are equal,
 * whatever way each side spells them.
 */

printFuzzCounts('fuzz-fuzzy-match');
// Each case is a workspace, a referral and a processed entry: a twentieth of the route runs.
const runs = Math.max(20, Math.round(fuzzRuns.route / 20));

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp({ subscribers: [salesEntrySubscriber] });
});
afterAll(() => testApp.close());

/** A workspace of its own (API entries reach every program of a workspace), its program and settings. */
async function setup() {
  const { api } = await testApp.newWorkspace();
  const programId = await newProgram(api);
  await newReceiverSettings(api, {
    programId,
    connectionId: null,
    statusTriggers: [{ object: 'order', field: 'stage', value: 'Qualified', milestone: 'qualified' }],
  });
  return { api, programId };
}

async function outcome(api: ApiClient, fields: Record<string, unknown>) {
  const answer = await api.post<{ data: Array<{ id: string }> }>('/api/v1/sales-entries', {
    objectType: 'order',
    fields: { stage: 'Qualified', ...fields },
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  return outcomeOf(api, answer.body.data[0]?.id ?? '');
}

describe('fuzzy name and company matching', { timeout: fuzzTimeout(runs, 1500) }, () => {
  it('matches names spelt with or without accents, in any case, with other spacing', async () => {
    const { api, programId } = await setup();
    const referral = await newReferral(api, {
      programId,
      firstName: 'Zoë',
      lastName: 'Müller-Lüdenscheidt',
      company: 'Ça Va Crêperie GmbH',
    });
    const entry = await outcome(api, {
      firstName: 'ZOE',
      lastName: 'Muller Ludenscheidt',
      company: 'CA VA CREPERIE',
    });
    expect(entry).toMatchObject({
      status: 'success',
      matchMethod: 'fuzzy_name_company',
      referralId: referral.id,
    });
  });

  it('finds the referral whenever the normalised names and company are equal', async () => {
    const letters = fc.constantFrom(
      'a',
      'e',
      'o',
      'u',
      'n',
      'c',
      's',
      'é',
      'ë',
      'ü',
      'ñ',
      'ç',
      'ø',
      'ß',
      'Å',
      'İ',
      'K',
    );
    const name = fc.array(letters, { minLength: 2, maxLength: 8 }).map((chars) => chars.join(''));
    const spelling = fc.record({
      upper: fc.boolean(),
      stripAccents: fc.boolean(),
      separator: fc.constantFrom(' ', '-', '  ', '.', ' - '),
      pad: fc.constantFrom('', ' '),
    });
    const spell = (
      parts: string[],
      how: { upper: boolean; stripAccents: boolean; separator: string; pad: string },
    ) => {
      let text = parts.join(how.separator);
      if (how.stripAccents) text = text.normalize('NFKD').replace(/\p{M}/gu, '');
      if (how.upper) text = text.toUpperCase();
      return `${how.pad}${text}${how.pad}`;
    };
    await fuzzAsync(
      'fuzzy match: equal normalised names are found',
      fc.record({
        first: name,
        last: fc.array(name, { minLength: 1, maxLength: 2 }),
        company: name,
        a: spelling,
        b: spelling,
      }),
      async ({ first, last, company, a, b }) => {
        const mine = {
          firstName: spell([first], a),
          lastName: spell(last, a),
          company: spell([company, 'Inc'], a),
        };
        const theirs = {
          firstName: spell([first], b),
          lastName: spell(last, b),
          company: spell([company], b),
        };
        if (
          normalizeText(mine.firstName) !== normalizeText(theirs.firstName) ||
          normalizeText(mine.lastName) !== normalizeText(theirs.lastName) ||
          normalizeCompany(mine.company) !== normalizeCompany(theirs.company)
        ) {
          return; // Spellings that normalise apart are not the same person.
        }
        const { api, programId } = await setup();
        const referral = await newReferral(api, { programId, ...mine });
        const entry = await outcome(api, theirs);
        expect(entry, JSON.stringify({ mine, theirs })).toMatchObject({
          matchMethod: 'fuzzy_name_company',
          referralId: referral.id,
        });
      },
      runs,
    );
  });
});
