import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_VERSION,
  type NewOrg,
  type RunningSandbox,
  rejection,
  startSandboxWithOrg,
} from '../../../test/helpers/sandbox-salesforce.ts';
import { memorySandboxStore } from '../store.ts';
import { createRecord, type DmlContext } from './dml.ts';
import { SfError } from './errors.ts';
import { OrgRegistry } from './org-registry.ts';
import { runQuery } from './soql/execute.ts';
import { parseSoql } from './soql/parser.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-03-10T12:00:00Z');

function seededOrg() {
  const registry = new OrgRegistry(memorySandboxStore());
  const org = registry.create({}, NOW);
  const at = (ms: number): DmlContext => ({ org, now: ms, version: API_VERSION, allowDuplicates: true });
  const acme = createRecord(at(NOW), 'Account', { Name: 'Acme' });
  createRecord(at(NOW - 10 * DAY), 'Lead', {
    LastName: "O'Brien",
    Company: 'Acme',
    Email: 'ob@acme.test',
    AnnualRevenue: 500,
  });
  createRecord(at(NOW - DAY), 'Lead', {
    LastName: 'Smith',
    Company: 'Globex',
    Status: 'Working - Contacted',
    AnnualRevenue: 1500,
  });
  createRecord(at(NOW), 'Lead', { LastName: 'Jones', Company: 'Initech', Email: 'j@initech.test' });
  createRecord(at(NOW), 'Contact', { LastName: 'Doe', AccountId: acme, Email: 'doe@acme.test' });
  createRecord(at(NOW), 'Contact', { LastName: 'Loner' });
  return {
    org,
    query: (soql: string) => runQuery(org, soql, { version: API_VERSION, includeDeleted: false, now: NOW }),
  };
}

function names(records: Record<string, unknown>[]): unknown[] {
  return records.map((r) => r.LastName);
}

describe('SOQL parser and evaluator', () => {
  const { query } = seededOrg();

  it.each([
    ["SELECT LastName FROM Lead WHERE Company = 'acme'", ["O'Brien"]],
    ["SELECT LastName FROM Lead WHERE LastName = 'O\\'Brien'", ["O'Brien"]],
    ["SELECT LastName FROM Lead WHERE Company != 'Acme' ORDER BY LastName", ['Jones', 'Smith']],
    [
      "SELECT LastName FROM Lead WHERE Company IN ('Globex', 'Initech') ORDER BY LastName DESC",
      ['Smith', 'Jones'],
    ],
    ["SELECT LastName FROM Lead WHERE Company NOT IN ('Globex') ORDER BY LastName", ['Jones', "O'Brien"]],
    ["SELECT LastName FROM Lead WHERE Email LIKE '%acme%'", ["O'Brien"]],
    ['SELECT LastName FROM Lead WHERE AnnualRevenue > 1000', ['Smith']],
    ['SELECT LastName FROM Lead WHERE AnnualRevenue <= 500', ["O'Brien"]],
    ['SELECT LastName FROM Lead WHERE Email = null', ['Smith']],
    ["SELECT LastName FROM Lead WHERE NOT (Company = 'Acme' OR Company = 'Globex')", ['Jones']],
    [
      "SELECT LastName FROM Lead WHERE (Company = 'Acme' OR Company = 'Globex') AND AnnualRevenue > 600",
      ['Smith'],
    ],
    ['SELECT LastName FROM Lead WHERE IsConverted = false AND CreatedDate = TODAY', ['Jones']],
    ['SELECT LastName FROM Lead WHERE CreatedDate = YESTERDAY', ['Smith']],
    [
      'SELECT LastName FROM Lead WHERE LastModifiedDate >= LAST_N_DAYS:3 ORDER BY LastName',
      ['Jones', 'Smith'],
    ],
    [
      'SELECT LastName FROM Lead WHERE SystemModstamp > 2026-03-05T00:00:00Z ORDER BY LastName',
      ['Jones', 'Smith'],
    ],
    ['SELECT LastName FROM Lead WHERE CreatedDate < 2026-03-05T00:00:00.000+0000', ["O'Brien"]],
    ['SELECT LastName FROM Lead ORDER BY Email ASC NULLS LAST, LastName LIMIT 2', ['Jones', "O'Brien"]],
    ['SELECT LastName FROM Lead ORDER BY LastName LIMIT 1 OFFSET 1', ["O'Brien"]],
  ])('%s', (soql, expected) => {
    expect(names(query(soql).records)).toEqual(expected);
  });

  it('selects parent fields as nested records with attributes', () => {
    const result = query("SELECT LastName, Account.Name FROM Contact WHERE Account.Name = 'Acme'");
    expect(result.records).toHaveLength(1);
    expect(result.records[0]).toMatchObject({
      LastName: 'Doe',
      Account: { attributes: { type: 'Account' }, Name: 'Acme' },
    });
    const loner = query("SELECT Account.Name FROM Contact WHERE LastName = 'Loner'");
    expect(loner.records[0]?.Account).toBeNull();
  });

  it('follows child relationships in subqueries, null when there are none', () => {
    const result = query(
      "SELECT Name, (SELECT LastName FROM Contacts WHERE Email LIKE '%acme%' ORDER BY LastName) FROM Account",
    );
    expect(result.records).toMatchObject([
      {
        Name: 'Acme',
        Contacts: {
          totalSize: 1,
          done: true,
          records: [{ attributes: { type: 'Contact' }, LastName: 'Doe' }],
        },
      },
    ]);
    const none = query("SELECT Name, (SELECT Id FROM Opportunities) FROM Account WHERE Name = 'Acme'");
    expect(none.records[0]?.Opportunities).toBeNull();
  });

  it('counts with COUNT()', () => {
    const result = query("SELECT COUNT() FROM Lead WHERE Company != 'Acme'");
    expect(result).toEqual({ totalSize: 2, records: [] });
  });

  it.each([
    ['SELECT FROM Lead', 'MALFORMED_QUERY'],
    ["SELECT Id FROM Lead WHERE Company = 'x", 'MALFORMED_QUERY'],
    ['SELECT Id FROM Lead WHERE', 'MALFORMED_QUERY'],
    ['SELECT Id FROM Lead LIMIT x', 'MALFORMED_QUERY'],
    ['SELECT Nope__c FROM Lead', 'INVALID_FIELD'],
    ['SELECT Id FROM Contact WHERE Account.Nope = 1', 'INVALID_FIELD'],
    ['SELECT Id FROM Nope', 'INVALID_TYPE'],
    ['SELECT Id, (SELECT Id FROM Nopes) FROM Account', 'INVALID_TYPE'],
    ['SELECT Id, (SELECT Nope FROM Contacts) FROM Account', 'INVALID_FIELD'],
    ['SELECT Id, (SELECT Id, (SELECT Id FROM Contacts) FROM Contacts) FROM Account', 'MALFORMED_QUERY'],
    ["SELECT Id FROM Lead WHERE CreatedDate > '2020-01-01'", 'INVALID_QUERY_FILTER_OPERATOR'],
  ])('rejects %s with %s', (soql, code) => {
    try {
      query(soql);
    } catch (error) {
      expect(error).toBeInstanceOf(SfError);
      expect((error as SfError).errorCode).toBe(code);
      return;
    }
    throw new Error('query was accepted');
  });

  it('keeps string literals as data, never as query text', () => {
    const parsed = parseSoql("SELECT Id FROM Lead WHERE LastName = 'x\\' OR LastName != \\'y'", NOW);
    expect(parsed.where).toEqual({
      kind: 'compare',
      field: { path: ['LastName'], column: 27 },
      op: '=',
      value: { kind: 'string', value: "x' OR LastName != 'y" },
    });
  });
});

describe('query over HTTP with jsforce', () => {
  let sandbox: RunningSandbox;
  let org: NewOrg;
  let conn: Connection;

  beforeAll(async () => {
    ({ sandbox, org, conn } = await startSandboxWithOrg());
    const records = Array.from({ length: 450 }, (_, i) => ({
      LastName: `Bulk ${String(i).padStart(3, '0')}`,
      Company: 'Paging',
    }));
    for (let i = 0; i < records.length; i += 200) {
      const results = await conn.sobject('Lead').create(records.slice(i, i + 200));
      expect(results.every((r) => r.success)).toBe(true);
    }
  });

  afterAll(async () => {
    await sandbox.close();
  });

  it('pages with nextRecordsUrl ending in /query/<locator> and honours batchSize', async () => {
    const response = await fetch(
      `${conn.instanceUrl}/services/data/v${API_VERSION}/query?q=${encodeURIComponent("SELECT Id, LastName FROM Lead WHERE Company = 'Paging' ORDER BY LastName")}`,
      { headers: { authorization: `Bearer ${conn.accessToken}`, 'sforce-query-options': 'batchSize=200' } },
    );
    const first = (await response.json()) as {
      totalSize: number;
      done: boolean;
      nextRecordsUrl: string;
      records: unknown[];
    };
    expect(first.totalSize).toBe(450);
    expect(first.done).toBe(false);
    expect(first.records).toHaveLength(200);
    expect(first.nextRecordsUrl).toMatch(
      new RegExp(`^/services/data/v${API_VERSION}/query/01g[A-Za-z0-9]+-200$`),
    );

    const all = await conn.query("SELECT Id, LastName FROM Lead WHERE Company = 'Paging' ORDER BY LastName", {
      autoFetch: true,
      maxFetch: 1000,
      headers: { 'Sforce-Query-Options': 'batchSize=200' },
    });
    expect(all.records).toHaveLength(450);
    expect(all.records[449]).toMatchObject({ LastName: 'Bulk 449' });
  });

  it('answers MALFORMED_QUERY through jsforce and includes deleted rows only in queryAll', async () => {
    const bad = await rejection(conn.query('SELECT Id FROM Lead WHERE'));
    expect(bad.errorCode).toBe('MALFORMED_QUERY');
    const lead = await conn.sobject('Lead').create({ LastName: 'Deleted', Company: 'Gone' });
    await conn.sobject('Lead').destroy(lead.id ?? '');
    const live = await conn.query("SELECT Id FROM Lead WHERE Company = 'Gone'");
    expect(live.totalSize).toBe(0);
    const all = await conn.query("SELECT Id, IsDeleted FROM Lead WHERE Company = 'Gone'", { scanAll: true });
    expect(all.records).toMatchObject([{ IsDeleted: true }]);
  });

  it('queries converted leads by their converted contact email', async () => {
    const lead = await conn
      .sobject('Lead')
      .create({ LastName: 'Convert', Company: 'Parent', Email: 'c@parent.test' });
    const converted = await sandbox.admin('POST', `/orgs/${org.orgId}/leads/${lead.id}/convert`, {});
    expect(converted.status).toBe(200);
    const result = await conn.query<Record<string, unknown>>(
      "SELECT Id, IsConverted, ConvertedContact.Email, ConvertedAccount.Name FROM Lead WHERE ConvertedContact.Email = 'c@parent.test'",
    );
    expect(result.records).toMatchObject([
      {
        IsConverted: true,
        ConvertedContact: { Email: 'c@parent.test' },
        ConvertedAccount: { Name: 'Parent' },
      },
    ]);
  });
});

describe('LIKE escapes', () => {
  const registry = new OrgRegistry(memorySandboxStore());
  const org = registry.create({}, NOW);
  const at: DmlContext = { org, now: NOW, version: API_VERSION, allowDuplicates: true };
  for (const LastName of ['back\\slash', 'back%slash', 'back_slash', 'backXslash', 'end\\']) {
    createRecord(at, 'Lead', { LastName, Company: 'Escapes' });
  }
  const like = (pattern: string) =>
    names(
      runQuery(org, `SELECT LastName FROM Lead WHERE LastName LIKE '${pattern}' ORDER BY LastName`, {
        version: API_VERSION,
        includeDeleted: false,
        now: NOW,
      }).records,
    );

  it.each([
    ['back\\\\slash', ['back\\slash']],
    ['back\\%slash', ['back%slash']],
    ['back\\_slash', ['back_slash']],
    ['back_slash', ['back%slash', 'backXslash', 'back\\slash', 'back_slash']],
    ['%\\\\', ['end\\']],
    ['%\\\\%', ['back\\slash', 'end\\']],
  ])('%s finds what it names', (pattern, found) => {
    expect([...like(pattern)].sort()).toEqual([...found].sort());
  });
});

describe('queries by Id', () => {
  const { org, query } = seededOrg();
  const leads = Object.values(org.records.Lead ?? {});
  const id = (name: string) => String(leads.find((lead) => lead.LastName === name)?.Id);

  it('answers Id = and Id IN from the records named, in creation order, with the rest of the filter applied', () => {
    const [obrien, smith, jones] = [id("O'Brien"), id('Smith'), id('Jones')];
    expect(
      names(query(`SELECT LastName FROM Lead WHERE Id IN ('${jones}', '${obrien}', '${smith}')`).records),
    ).toEqual(["O'Brien", 'Smith', 'Jones']);
    // 15-character IDs name the same records; unknown ones find nothing.
    expect(
      names(
        query(`SELECT LastName FROM Lead WHERE Id IN ('${smith.slice(0, 15)}', '00Q000000000000')`).records,
      ),
    ).toEqual(['Smith']);
    expect(
      names(query(`SELECT LastName FROM Lead WHERE Id = '${obrien}' AND Company = 'Globex'`).records),
    ).toEqual([]);
    expect(
      names(
        query(`SELECT LastName FROM Lead WHERE Company = 'Acme' AND Id IN ('${obrien}', '${jones}')`).records,
      ),
    ).toEqual(["O'Brien"]);
    expect(
      names(query(`SELECT LastName FROM Lead WHERE Id IN ('${obrien}') OR Company = 'Initech'`).records),
    ).toEqual(["O'Brien", 'Jones']);
  });

  it('leaves out deleted records and refuses a number for an Id as a scan does', () => {
    const smith = id('Smith');
    const row = org.records.Lead?.[smith];
    if (!row) throw new Error('no Smith');
    row.IsDeleted = true;
    try {
      expect(query(`SELECT LastName FROM Lead WHERE Id = '${smith}'`).records).toEqual([]);
    } finally {
      row.IsDeleted = false;
    }
    expect(() => query('SELECT LastName FROM Lead WHERE Id = 5')).toThrow(SfError);
  });
});

describe('datetimes in filters', () => {
  it('compares to the whole second, as Salesforce does, so paging by SystemModstamp skips nothing', () => {
    const registry = new OrgRegistry(memorySandboxStore());
    const org = registry.create({}, NOW);
    const at = (ms: number): DmlContext => ({ org, now: ms, version: API_VERSION, allowDuplicates: true });
    createRecord(at(NOW + 100), 'Lead', { LastName: 'Early', Company: 'A' });
    createRecord(at(NOW + 700), 'Lead', { LastName: 'Late', Company: 'A' });
    createRecord(at(NOW + 1200), 'Lead', { LastName: 'Next', Company: 'A' });
    const query = (soql: string) =>
      runQuery(org, soql, { version: API_VERSION, includeDeleted: false, now: NOW });
    // 12:00:00.100 and .700 are "at 12:00:00Z": neither is after it.
    expect(
      names(query('SELECT LastName FROM Lead WHERE SystemModstamp > 2026-03-10T12:00:00Z').records),
    ).toEqual(['Next']);
    expect(
      names(
        query(
          'SELECT LastName FROM Lead WHERE SystemModstamp >= 2026-03-10T12:00:00Z AND SystemModstamp < 2026-03-10T12:00:01Z ORDER BY SystemModstamp DESC',
        ).records,
      ),
    ).toEqual(['Late', 'Early']);
    expect(
      names(query('SELECT LastName FROM Lead WHERE CreatedDate = 2026-03-10T12:00:00Z').records),
    ).toEqual(['Early', 'Late']);
  });
});
