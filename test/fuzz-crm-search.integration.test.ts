import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubspotConnector } from '../src/crm/hubspot/connector.ts';
import { salesforceConnector } from '../src/crm/salesforce/connector.ts';
import type { CrmConnector, CrmSession } from '../src/crm/types.ts';
import { fuzzAsync, fuzzRuns, fuzzTimeout, printFuzzCounts } from './helpers/fuzz.ts';
import { startHubspotSandbox } from './helpers/hubspot-connector.ts';
import { idOf, keepDuplicateRules, startSalesforceSandbox } from './helpers/salesforce-connector.ts';

/**
 * Values that reach a CRM query (SOQL literals, HubSpot search filters) through the real
 * connectors against the sandbox CRMs: a search finds exactly the records holding one of
 * the values, whatever quotes, backslashes or `' OR Name != '` the values carry.
 */

printFuzzCounts('fuzz-crm-search');
const runs = fuzzRuns.route;
const timeout = fuzzTimeout(runs, 60);

/** Stored in the CRMs: each a value someone could try to break out of a literal with. */
const stored = [
  "O'Brien",
  "' OR LastName != '",
  "' OR Company != '",
  '\\',
  "\\'",
  '\\\\',
  '%',
  '_',
  'a%b_c',
  '"quoted"',
  'line\nbreak',
  'tab\there',
  ') OR (Id != null',
  'plain',
  'Ünïcödé',
  '😀 emoji',
];
const hostile = fc.oneof(
  fc.constantFrom(...stored),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).filter((text) => !text.includes('\u0000')),
  fc
    .array(fc.constantFrom("'", '\\', '"', ' OR ', 'Name', '!=', '%', '_', '(', ')', 'x', '\n'), {
      minLength: 1,
      maxLength: 10,
    })
    .map((parts) => parts.join('')),
);

/**
 * Stores one record per `stored` value (in `field`), then searches with generated values:
 * exactly the records holding one of them come back.
 */
function searchesExactly(
  name: string,
  connector: CrmConnector,
  open: () => Promise<{ session: CrmSession; close(): Promise<void> }>,
  object: string,
  field: string,
  extra: (index: number) => Record<string, unknown>,
) {
  let opened: { session: CrmSession; close(): Promise<void> };
  const idsByValue = new Map<string, string>();
  beforeAll(async () => {
    opened = await open();
    const records = stored.map((value, index) => ({ ...extra(index), [field]: value }));
    const outcomes = await connector.create(opened.session, object, records, keepDuplicateRules);
    for (const [index, value] of stored.entries()) idsByValue.set(value, idOf(outcomes[index]));
  });
  afterAll(() => opened.close());

  it(`finds exactly the ${object} records whose ${field} is one of the values`, async () => {
    await fuzzAsync(
      name,
      fc.array(hostile, { minLength: 1, maxLength: 4 }),
      async (values) => {
        const found = await connector.findBy(opened.session, object, field, values, [field]);
        const expected = [...new Set(values)].flatMap((value) => idsByValue.get(value) ?? []);
        expect(found.map((record) => record.id).sort()).toEqual(expected.sort());
      },
      runs,
    );
  });
}

describe('Salesforce: SOQL literals', { timeout }, () => {
  searchesExactly(
    'salesforce findBy: hostile values',
    salesforceConnector,
    async () => {
      const sandbox = await startSalesforceSandbox();
      return { session: sandbox.session, close: () => sandbox.close() };
    },
    'Lead',
    'Company',
    (index) => ({ LastName: `Fuzz ${index}` }),
  );
});

describe('HubSpot: search filter values', { timeout }, () => {
  searchesExactly(
    'hubspot findBy: hostile values',
    // Pacing would hold searches to HubSpot's real 4 a second; the values are what is tested.
    createHubspotConnector({ pacing: false }),
    async () => {
      const sandbox = await startHubspotSandbox();
      // Searches far faster than HubSpot's 5 a second: the limit is raised, not what is tested.
      const portal = await sandbox.newPortal({ rateLimitMax: 1_000_000, dailyLimit: 100_000_000 });
      return { session: sandbox.sessionOf(portal), close: () => sandbox.close() };
    },
    'contacts',
    'company',
    (index) => ({ lastname: `Fuzz ${index}` }),
  );
});

describe('Salesforce: record search patterns', { timeout }, () => {
  let opened: { session: CrmSession; close(): Promise<void> };
  const idsByName = new Map<string, string>();
  beforeAll(async () => {
    const sandbox = await startSalesforceSandbox();
    opened = { session: sandbox.session, close: () => sandbox.close() };
    const records = stored.map((value) => ({ LastName: value, Company: 'Search fuzz' }));
    const outcomes = await salesforceConnector.create(opened.session, 'Lead', records, keepDuplicateRules);
    for (const [index, value] of stored.entries()) idsByName.set(value, idOf(outcomes[index]));
  });
  afterAll(() => opened.close());

  it('finds exactly the Leads whose name holds the text, wildcards and quotes matching themselves', async () => {
    const search = salesforceConnector.searchRecords;
    if (!search) throw new Error('the Salesforce connector searches records');
    await fuzzAsync(
      'salesforce searchRecords: hostile text',
      hostile,
      async (text) => {
        const found = await search(opened.session, 'Lead', text, 50);
        const wanted = text.trim();
        const holds = new RegExp(wanted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
        const expected =
          wanted === '' ? [] : [...idsByName].filter(([name]) => holds.test(name)).map(([, id]) => id);
        expect(found.map((record) => record.id).sort()).toEqual(expected.sort());
      },
      runs,
    );
  });
});
