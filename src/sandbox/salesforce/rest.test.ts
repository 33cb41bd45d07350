import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_VERSION,
  type NewOrg,
  type RunningSandbox,
  rejection,
  startSandboxWithOrg,
} from '../../../test/helpers/sandbox-salesforce.ts';

let sandbox: RunningSandbox;
let org: NewOrg;
let conn: Connection;

beforeAll(async () => {
  ({ sandbox, org, conn } = await startSandboxWithOrg({ name: 'REST org' }));
});

afterAll(async () => {
  await sandbox.close();
});

describe('REST sObjects through jsforce', () => {
  it('lists versions without a session and describes objects', async () => {
    const versions = (await (await fetch(`${sandbox.base}/services/data/`)).json()) as { version: string }[];
    expect(versions.map((v) => v.version)).toContain(API_VERSION);
    const global = await conn.describeGlobal();
    expect(global.sobjects.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        'Lead',
        'Contact',
        'Account',
        'Opportunity',
        'OpportunityContactRole',
        'Campaign',
        'CampaignMember',
      ]),
    );
    const lead = await conn.sobject('Lead').describe();
    const lastName = lead.fields.find((f) => f.name === 'LastName');
    expect(lastName).toMatchObject({
      type: 'string',
      nillable: false,
      createable: true,
      custom: false,
      length: 80,
    });
    const status = lead.fields.find((f) => f.name === 'Status');
    expect(status?.picklistValues?.map((p) => p.value)).toContain('Closed - Converted');
  });

  it('creates, reads, updates (204) and deletes a lead with 18-character ids and +0000 datetimes', async () => {
    const created = await conn
      .sobject('Lead')
      .create({ FirstName: 'Ada', LastName: 'Lovelace', Company: 'Engines', Email: 'ada@example.com' });
    expect(created.success).toBe(true);
    const id = created.id ?? '';
    expect(id).toMatch(/^00Q[a-zA-Z0-9]{12}[A-Z0-5]{3}$/);
    const lead = await conn.sobject('Lead').retrieve(id);
    expect(lead).toMatchObject({
      Name: 'Ada Lovelace',
      Status: 'Open - Not Contacted',
      IsConverted: false,
      OwnerId: org.userId,
    });
    expect(String(lead.CreatedDate)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);

    const raw = await fetch(`${conn.instanceUrl}/services/data/v${API_VERSION}/sobjects/Lead/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${conn.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ Status: 'Working - Contacted' }),
    });
    expect(raw.status).toBe(204);
    expect(await raw.text()).toBe('');
    expect(raw.headers.get('sforce-limit-info')).toMatch(/^api-usage=\d+\/15000$/);

    const updated = await conn.sobject('Lead').update({ Id: id, Title: 'Countess' });
    expect(updated).toMatchObject({ id, success: true });
    const fields = (await conn.request(
      `/services/data/v${API_VERSION}/sobjects/Lead/${id}?fields=Title,Status`,
    )) as Record<string, unknown>;
    expect(fields).toMatchObject({ Title: 'Countess', Status: 'Working - Contacted' });
    expect(fields).not.toHaveProperty('Company');

    await conn.sobject('Lead').destroy(id);
    const gone = await rejection(conn.sobject('Lead').retrieve(id));
    expect(gone.errorCode).toBe('ENTITY_IS_DELETED');
  });

  it('answers REQUIRED_FIELD_MISSING, INVALID_FIELD and a JSON error array', async () => {
    const missing = await rejection(conn.sobject('Lead').create({ FirstName: 'No' }));
    expect(missing.errorCode).toBe('REQUIRED_FIELD_MISSING');
    expect(missing.message).toBe('Required fields are missing: [LastName, Company]');
    expect(missing.data).toMatchObject({ fields: ['LastName', 'Company'] });

    const unknown = await rejection(conn.sobject('Lead').create({ LastName: 'X', Company: 'Y', Foo__c: 1 }));
    expect(unknown.errorCode).toBe('INVALID_FIELD');

    const response = await fetch(
      `${conn.instanceUrl}/services/data/v${API_VERSION}/sobjects/Nope/001000000000000AAA`,
      {
        headers: { authorization: `Bearer ${conn.accessToken}` },
      },
    );
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual([
      { errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' },
    ]);
  });

  it('blocks a duplicate email with DUPLICATES_DETECTED unless allowSave=true is sent', async () => {
    await conn.sobject('Contact').create({ LastName: 'One', Email: 'dup@example.com' });
    const blocked = await rejection(
      conn.sobject('Contact').create({ LastName: 'Two', Email: 'DUP@example.com' }),
    );
    expect(blocked.errorCode).toBe('DUPLICATES_DETECTED');
    const result = blocked.data?.duplicateResut as {
      allowSave: boolean;
      matchResults: { matchRecords: unknown[] }[];
    };
    expect(result.allowSave).toBe(true);
    expect(result.matchResults[0]?.matchRecords).toHaveLength(1);

    const allowed = await conn
      .sobject('Contact')
      .create(
        { LastName: 'Two', Email: 'dup@example.com' },
        { headers: { 'Sforce-Duplicate-Rule-Header': 'allowSave=true' } },
      );
    expect(allowed.success).toBe(true);
  });

  it('upserts by external id: 201 created, 200 updated, 300 on several matches', async () => {
    const field = await sandbox.admin('POST', `/orgs/${org.orgId}/fields`, {
      object: 'Lead',
      name: 'Refsync_Id',
      type: 'string',
      length: 64,
      externalId: true,
    });
    expect(field.status).toBe(201);
    const first = await conn
      .sobject('Lead')
      .upsert({ Refsync_Id__c: 'ref-1', LastName: 'Up', Company: 'Sert' }, 'Refsync_Id__c');
    expect(first).toMatchObject({ success: true, created: true });
    const second = await conn
      .sobject('Lead')
      .upsert({ Refsync_Id__c: 'ref-1', Title: 'Again' }, 'Refsync_Id__c');
    expect(second).toMatchObject({ success: true, created: false, id: (first as { id: string }).id });

    const url = `${conn.instanceUrl}/services/data/v${API_VERSION}/sobjects/Lead/Refsync_Id__c/ref-2`;
    const headers = { authorization: `Bearer ${conn.accessToken}`, 'content-type': 'application/json' };
    const created = await fetch(url, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ LastName: 'A', Company: 'B' }),
    });
    expect(created.status).toBe(201);
    await conn.sobject('Lead').create({ Refsync_Id__c: 'ref-2', LastName: 'C', Company: 'D' });
    const multiple = await fetch(url, { method: 'PATCH', headers, body: JSON.stringify({ Title: 'x' }) });
    expect(multiple.status).toBe(300);

    // An encoded slash stays part of the value instead of splitting the path.
    const slashed = await fetch(
      `${conn.instanceUrl}/services/data/v${API_VERSION}/sobjects/Lead/Refsync_Id__c/a%2Fb`,
      {
        method: 'PATCH',
        headers,
        body: JSON.stringify({ LastName: 'Slash', Company: 'Path' }),
      },
    );
    expect(slashed.status).toBe(201);
    const found = await conn.query<{ Refsync_Id__c: string }>(
      "SELECT Refsync_Id__c FROM Lead WHERE LastName = 'Slash'",
    );
    expect(found.records[0]?.Refsync_Id__c).toBe('a/b');
  });

  it('adds a custom field through the Tooling API, then describe and DML see it', async () => {
    const result = (await conn.request({
      method: 'POST',
      url: `/services/data/v${API_VERSION}/tooling/sobjects/CustomField`,
      body: JSON.stringify({
        FullName: 'Contact.Referral_Code__c',
        Metadata: { type: 'Text', label: 'Referral Code', length: 32 },
      }),
      headers: { 'content-type': 'application/json' },
    })) as { id: string; success: boolean };
    expect(result.success).toBe(true);
    expect(result.id).toMatch(/^00N/);
    const describe = await conn.sobject('Contact').describe$();
    expect(describe.fields.find((f) => f.name === 'Referral_Code__c')).toMatchObject({
      custom: true,
      type: 'string',
      length: 32,
    });
    const contact = await conn.sobject('Contact').create({ LastName: 'Custom', Referral_Code__c: 'ABC' });
    const read = await conn.sobject('Contact').retrieve(contact.id ?? '');
    expect(read.Referral_Code__c).toBe('ABC');
    const again = await rejection(
      conn.request({
        method: 'POST',
        url: `/services/data/v${API_VERSION}/tooling/sobjects/CustomField`,
        body: JSON.stringify({
          FullName: 'Contact.Referral_Code__c',
          Metadata: { type: 'Text', label: 'Referral Code', length: 32 },
        }),
        headers: { 'content-type': 'application/json' },
      }),
    );
    expect(again.errorCode).toBe('DUPLICATE_DEVELOPER_NAME');
    const listed = await conn.tooling.query<{ Id: string; DeveloperName: string }>(
      "SELECT Id, DeveloperName FROM CustomField WHERE TableEnumOrId = 'Contact' AND DeveloperName = 'Referral_Code'",
    );
    expect(listed.records).toMatchObject([{ Id: result.id, DeveloperName: 'Referral_Code' }]);
    const none = await conn.tooling.query(
      "SELECT Id FROM CustomField WHERE TableEnumOrId = 'Lead' AND DeveloperName = 'Nope'",
    );
    expect(none.totalSize).toBe(0);
  });

  it('derives Opportunity IsWon/IsClosed from StageName and validates references', async () => {
    const account = await conn.sobject('Account').create({ Name: 'Won Co' });
    const opp = await conn
      .sobject('Opportunity')
      .create({ Name: 'Deal', StageName: 'Prospecting', CloseDate: '2030-01-01', AccountId: account.id });
    await conn.sobject('Opportunity').update({ Id: opp.id ?? '', StageName: 'Closed Won' });
    const read = await conn.sobject('Opportunity').retrieve(opp.id ?? '');
    expect(read).toMatchObject({ IsWon: true, IsClosed: true, Probability: 100 });
    const badStage = await rejection(
      conn.sobject('Opportunity').update({ Id: opp.id ?? '', StageName: 'Nope' }),
    );
    expect(badStage.errorCode).toBe('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    const badRef = await rejection(
      conn.sobject('Contact').create({ LastName: 'R', AccountId: '001000000000000AAA' }),
    );
    expect(badRef.errorCode).toBe('INVALID_CROSS_REFERENCE_KEY');
  });

  it('answers 403 REQUEST_LIMIT_EXCEEDED past the daily API limit and reports /limits', async () => {
    const other = await sandbox.createOrg({ limits: { dailyApiRequests: 5 } });
    const small = await sandbox.login(other);
    const limits = (await small.request(`/services/data/v${API_VERSION}/limits`)) as {
      DailyApiRequests: { Max: number; Remaining: number };
    };
    expect(limits.DailyApiRequests.Max).toBe(5);
    await sandbox.admin('PUT', `/orgs/${other.orgId}/limits`, { used: 5 });
    const denied = await rejection(small.query('SELECT Id FROM Lead'));
    expect(denied.errorCode).toBe('REQUEST_LIMIT_EXCEEDED');
    const raw = await fetch(`${small.instanceUrl}/services/data/v${API_VERSION}/limits`, {
      headers: { authorization: `Bearer ${small.accessToken}` },
    });
    expect(raw.status).toBe(403);
  });
});
