import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_VERSION,
  type NewOrg,
  type RunningSandbox,
  startSandboxWithOrg,
} from '../../../test/helpers/sandbox-salesforce.ts';

let sandbox: RunningSandbox;
let org: NewOrg;
let conn: Connection;

beforeAll(async () => {
  ({ sandbox, org, conn } = await startSandboxWithOrg());
  await sandbox.admin('POST', `/orgs/${org.orgId}/fields`, {
    object: 'Contact',
    name: 'Ext_Id',
    type: 'string',
    externalId: true,
  });
});

afterAll(async () => {
  await sandbox.close();
});

async function count(soql: string): Promise<number> {
  return (await conn.query(soql)).totalSize;
}

describe('sObject Collections', () => {
  it('creates many records and reports each result in order', async () => {
    const results = await conn.sobject('Account').create([{ Name: 'A1' }, { Name: 'A2' }, { Name: 'A3' }]);
    expect(results.map((r) => r.success)).toEqual([true, true, true]);
    expect(await count("SELECT Id FROM Account WHERE Name LIKE 'A_'")).toBe(3);
  });

  it('without allOrNone keeps the good records and reports statusCode for the bad one', async () => {
    const results = await conn
      .sobject('Lead')
      .create([{ LastName: 'Good', Company: 'Partial' }, { LastName: 'Bad' }], {
        allOrNone: false,
      });
    expect(results[0]?.success).toBe(true);
    expect(results[1]).toMatchObject({
      success: false,
      errors: [{ statusCode: 'REQUIRED_FIELD_MISSING', fields: ['Company'] }],
    });
    expect(await count("SELECT Id FROM Lead WHERE Company = 'Partial'")).toBe(1);
  });

  it('with allOrNone rolls everything back', async () => {
    const response = await fetch(`${conn.instanceUrl}/services/data/v${API_VERSION}/composite/sobjects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${conn.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        allOrNone: true,
        records: [
          { attributes: { type: 'Lead' }, LastName: 'Rolled', Company: 'AllOrNone' },
          { attributes: { type: 'Lead' }, LastName: 'Broken' },
        ],
      }),
    });
    expect(response.status).toBe(200);
    const results = (await response.json()) as { success: boolean; errors: { statusCode: string }[] }[];
    expect(results.map((r) => r.errors[0]?.statusCode)).toEqual([
      'ALL_OR_NONE_OPERATION_ROLLED_BACK',
      'REQUIRED_FIELD_MISSING',
    ]);
    expect(await count("SELECT Id FROM Lead WHERE Company = 'AllOrNone'")).toBe(0);
  });

  it('with allOrNone answers no id for a rolled-back record, as Salesforce does', async () => {
    const created = await conn
      .sobject('Lead')
      .create([{ LastName: 'Ghost', Company: 'NoId' }, { LastName: 'Broken' }], { allOrNone: true });
    expect(created.map((r) => [r.success, r.id ?? null])).toEqual([
      [false, null],
      [false, null],
    ]);
    expect(created[0]?.errors).toMatchObject([
      {
        statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
        message:
          'Record rolled back because not all records were valid and the request was using AllOrNone header',
      },
    ]);
    expect(created[1]?.errors).toMatchObject([{ statusCode: 'REQUIRED_FIELD_MISSING' }]);
    expect(await count("SELECT Id FROM Lead WHERE Company = 'NoId'")).toBe(0);

    const account = await conn.sobject('Account').create({ Name: 'Kept' });
    const updated = await conn.sobject('Account').update(
      [
        { Id: account.id ?? '', Name: 'Renamed' },
        { Id: '001000000000000AAA', Name: 'Missing' },
      ],
      { allOrNone: true },
    );
    expect(updated.map((r) => [r.success, r.id ?? null])).toEqual([
      [false, null],
      [false, null],
    ]);
    expect(updated[0]?.errors).toMatchObject([{ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK' }]);
    expect(await conn.sobject('Account').retrieve(account.id ?? '')).toMatchObject({ Name: 'Kept' });
  });

  it('updates, upserts by external id, retrieves and deletes many', async () => {
    const created = await conn.sobject('Contact').upsert(
      [
        { Ext_Id__c: 'e1', LastName: 'One' },
        { Ext_Id__c: 'e2', LastName: 'Two' },
      ],
      'Ext_Id__c',
    );
    expect(created.map((r) => r.created)).toEqual([true, true]);
    const again = await conn.sobject('Contact').upsert(
      [
        { Ext_Id__c: 'e1', Title: 'First' },
        { Ext_Id__c: 'e3', LastName: 'Three' },
      ],
      'Ext_Id__c',
    );
    expect(again.map((r) => r.created)).toEqual([false, true]);
    const ids = [...created, ...again.slice(1)].map((r) => r.id ?? '');
    const updated = await conn
      .sobject('Contact')
      .update(ids.map((Id) => ({ Id, Department: undefined, Phone: '555' })));
    expect(updated.every((r) => r.success)).toBe(true);
    const read = await conn.sobject('Contact').retrieve(ids);
    expect(read.map((r) => r?.Phone)).toEqual(['555', '555', '555']);
    expect(read[0]).toMatchObject({ Title: 'First' });
    const deleted = await conn.sobject('Contact').destroy(ids);
    expect(deleted.every((r) => r.success)).toBe(true);
    expect(await count("SELECT Id FROM Contact WHERE Ext_Id__c LIKE 'e%'")).toBe(0);
  });

  it('refuses more than 200 records', async () => {
    const response = await fetch(`${conn.instanceUrl}/services/data/v${API_VERSION}/composite/sobjects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${conn.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        records: Array.from({ length: 201 }, () => ({ attributes: { type: 'Account' }, Name: 'Too many' })),
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject([{ errorCode: 'EXCEEDED_ID_LIMIT' }]);
  });
});

describe('Composite', () => {
  const url = (path: string) => `/services/data/v${API_VERSION}${path}`;

  it('chains subrequests through @{ref.id} references', async () => {
    const result = (await conn.requestPost(url('/composite'), {
      allOrNone: true,
      compositeRequest: [
        {
          method: 'POST',
          url: url('/sobjects/Account'),
          referenceId: 'acct',
          body: { Name: 'Composite Co' },
        },
        {
          method: 'POST',
          url: url('/sobjects/Contact'),
          referenceId: 'ct',
          body: { LastName: 'Ref', AccountId: '@{acct.id}' },
        },
        { method: 'GET', url: url('/sobjects/Contact/@{ct.id}?fields=AccountId'), referenceId: 'read' },
        {
          method: 'GET',
          url: url(`/query?q=${encodeURIComponent("SELECT Id FROM Account WHERE Name = 'Composite Co'")}`),
          referenceId: 'q',
        },
        {
          method: 'PATCH',
          url: url('/sobjects/Account/@{q.records[0].Id}'),
          referenceId: 'upd',
          body: { Phone: '1' },
        },
      ],
    })) as {
      compositeResponse: {
        httpStatusCode: number;
        referenceId: string;
        body: Record<string, unknown> | null;
      }[];
    };
    const byRef = Object.fromEntries(result.compositeResponse.map((r) => [r.referenceId, r]));
    expect(byRef.acct?.httpStatusCode).toBe(201);
    expect(byRef.read?.body?.AccountId).toBe(byRef.acct?.body?.id);
    expect(byRef.upd?.httpStatusCode).toBe(204);
    expect(byRef.upd?.body).toBeNull();
  });

  it('with allOrNone rolls back and reports PROCESSING_HALTED for the others', async () => {
    const result = (await conn.requestPost(url('/composite'), {
      allOrNone: true,
      compositeRequest: [
        { method: 'POST', url: url('/sobjects/Account'), referenceId: 'ok', body: { Name: 'Halted Co' } },
        { method: 'POST', url: url('/sobjects/Lead'), referenceId: 'bad', body: { LastName: 'NoCompany' } },
        { method: 'POST', url: url('/sobjects/Account'), referenceId: 'after', body: { Name: 'Halted Co' } },
      ],
    })) as { compositeResponse: { httpStatusCode: number; body: { errorCode: string }[] }[] };
    expect(result.compositeResponse.map((r) => [r.httpStatusCode, r.body[0]?.errorCode])).toEqual([
      [400, 'PROCESSING_HALTED'],
      [400, 'REQUIRED_FIELD_MISSING'],
      [400, 'PROCESSING_HALTED'],
    ]);
    expect(await count("SELECT Id FROM Account WHERE Name = 'Halted Co'")).toBe(0);
  });

  it('rolls back updates and nested collection writes when a later subrequest fails', async () => {
    const account = await conn.sobject('Account').create({ Name: 'Before rollback' });
    const result = (await conn.requestPost(url('/composite'), {
      allOrNone: true,
      compositeRequest: [
        {
          method: 'PATCH',
          url: url(`/sobjects/Account/${account.id}`),
          referenceId: 'upd',
          body: { Name: 'After rollback' },
        },
        {
          method: 'POST',
          url: url('/composite/sobjects'),
          referenceId: 'many',
          body: { records: [{ attributes: { type: 'Account' }, Name: 'Nested rollback' }] },
        },
        { method: 'DELETE', url: url(`/sobjects/Account/${account.id}`), referenceId: 'del' },
        {
          method: 'POST',
          url: url('/sobjects/Contact'),
          referenceId: 'bad',
          body: { FirstName: 'NoLastName' },
        },
      ],
    })) as { compositeResponse: { httpStatusCode: number }[] };
    expect(result.compositeResponse.map((r) => r.httpStatusCode)).toEqual([400, 400, 400, 400]);
    expect(await conn.sobject('Account').retrieve(account.id ?? '')).toMatchObject({
      Name: 'Before rollback',
      IsDeleted: false,
    });
    expect(await count("SELECT Id FROM Account WHERE Name = 'Nested rollback'")).toBe(0);
  });

  it('runs composite/batch subrequests independently and halts on error when asked', async () => {
    const result = (await conn.requestPost(url('/composite/batch'), {
      haltOnError: true,
      batchRequests: [
        { method: 'POST', url: `v${API_VERSION}/sobjects/Account`, richInput: { Name: 'Batch Co' } },
        { method: 'POST', url: `v${API_VERSION}/sobjects/Lead`, richInput: { LastName: 'NoCompany' } },
        { method: 'GET', url: `v${API_VERSION}/limits` },
      ],
    })) as { hasErrors: boolean; results: { statusCode: number; result: unknown }[] };
    expect(result.hasErrors).toBe(true);
    expect(result.results.map((r) => r.statusCode)).toEqual([201, 400, 412]);
    expect(await count("SELECT Id FROM Account WHERE Name = 'Batch Co'")).toBe(1);
  });

  it('refuses more than 25 subrequests', async () => {
    const response = await fetch(`${conn.instanceUrl}${url('/composite')}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${conn.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        compositeRequest: Array.from({ length: 26 }, (_, i) => ({
          method: 'GET',
          url: url('/limits'),
          referenceId: `r${i}`,
        })),
      }),
    });
    expect(response.status).toBe(400);
  });
});
