import type { Client } from '@hubspot/api-client';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/contacts/models/Filter.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiError,
  clientFor,
  createPortal,
  fetchJson,
  type PortalCredentials,
  type RunningSandbox,
  startSandboxWithPortal,
} from '../../../test/helpers/sandbox-hubspot.ts';

let sandbox: RunningSandbox;
let portal: PortalCredentials;
let client: Client;

beforeAll(async () => {
  ({ sandbox, portal, client } = await startSandboxWithPortal({ name: 'CRM tests' }));
});

afterAll(async () => {
  await sandbox.close();
});

describe('contacts through the official client', () => {
  it('creates, reads, updates and archives a contact with string values', async () => {
    const created = await client.crm.contacts.basicApi.create({
      properties: { email: 'Ada@Example.com', firstname: 'Ada', lastname: 'Lovelace' },
      associations: [],
    });
    expect(created.id).toMatch(/^\d+$/);
    expect(created.properties.email).toBe('ada@example.com');
    expect(created.properties.hs_object_id).toBe(created.id);
    expect(created.archived).toBe(false);
    expect(created.createdAt).toBeInstanceOf(Date);

    const read = await client.crm.contacts.basicApi.getById(created.id, ['firstname', 'phone']);
    expect(read.properties.firstname).toBe('Ada');
    expect(read.properties.phone).toBeNull();

    const byEmail = await client.crm.contacts.basicApi.getById(
      'ADA@example.com',
      undefined,
      undefined,
      undefined,
      false,
      'email',
    );
    expect(byEmail.id).toBe(created.id);

    // Numbers sent as JSON numbers come back as strings.
    const raw = await fetchJson(`${sandbox.baseUrl}/crm/v3/objects/contacts/${created.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${portal.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ properties: { lastname: 'King', phone: 5551234 } }),
    });
    expect(raw.status).toBe(200);
    expect(raw.contentType).toMatch(/^application\/json/);
    const updated = raw.body as { properties: Record<string, unknown>; updatedAt: string; createdAt: string };
    expect(updated.properties.phone).toBe('5551234');
    expect(updated.properties.lastname).toBe('King');
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(updated.createdAt));

    await client.crm.contacts.basicApi.archive(created.id);
    const gone = await apiError(client.crm.contacts.basicApi.getById(created.id));
    expect(gone.code).toBe(404);
    expect(gone.body.category).toBe('OBJECT_NOT_FOUND');
    const archived = await client.crm.contacts.basicApi.getById(
      created.id,
      undefined,
      undefined,
      undefined,
      true,
    );
    expect(archived.archived).toBe(true);
  });

  it('answers 409 "Contact already exists" on a duplicate email, whatever its case', async () => {
    const first = await client.crm.contacts.basicApi.create({
      properties: { email: 'dup@example.com' },
      associations: [],
    });
    const error = await apiError(
      client.crm.contacts.basicApi.create({ properties: { email: 'DUP@example.com' }, associations: [] }),
    );
    expect(error.code).toBe(409);
    expect(error.body.category).toBe('CONFLICT');
    expect(error.body.message).toBe(`Contact already exists. Existing ID: ${first.id}`);
    expect(error.body.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects an unknown property with VALIDATION_ERROR / PROPERTY_DOESNT_EXIST', async () => {
    const error = await apiError(
      client.crm.contacts.basicApi.create({
        properties: { email: 'x@example.com', favourite_colour: 'red' },
        associations: [],
      }),
    );
    expect(error.code).toBe(400);
    expect(error.body.category).toBe('VALIDATION_ERROR');
    expect(error.body.message).toContain('Property values were not valid');
    expect(error.body.message).toContain('PROPERTY_DOESNT_EXIST');
    expect(JSON.stringify(error.body.errors)).toContain('favourite_colour');
  });

  it('batch upserts by email: updates existing, creates new, reports `new`', async () => {
    const existing = await client.crm.contacts.basicApi.create({
      properties: { email: 'upsert-a@example.com', firstname: 'Old' },
      associations: [],
    });
    const result = await client.crm.contacts.batchApi.upsert({
      inputs: [
        { id: 'UPSERT-A@example.com', idProperty: 'email', properties: { firstname: 'New' } },
        { id: 'upsert-b@example.com', idProperty: 'email', properties: { firstname: 'Bea' } },
      ],
    });
    expect(result.status).toBe('COMPLETE');
    expect(result.results).toHaveLength(2);
    const byEmail = new Map(result.results.map((one) => [one.properties.email, one]));
    expect(byEmail.get('upsert-a@example.com')?.id).toBe(existing.id);
    expect(byEmail.get('upsert-a@example.com')?._new).toBe(false);
    expect(byEmail.get('upsert-a@example.com')?.properties.firstname).toBe('New');
    expect(byEmail.get('upsert-b@example.com')?._new).toBe(true);
  });

  it('batch creates, reads (207 on missing ids), updates and archives', async () => {
    const created = await client.crm.contacts.batchApi.create({
      inputs: [
        { properties: { email: 'batch-1@example.com' }, associations: [] },
        { properties: { email: 'batch-2@example.com' }, associations: [] },
      ],
    });
    expect(created.results).toHaveLength(2);
    const ids = created.results.map((one) => one.id);
    const read = await client.crm.contacts.batchApi.read({
      inputs: [...ids.map((id) => ({ id })), { id: '999999' }],
      properties: ['email'],
      propertiesWithHistory: [],
    });
    expect(read.results.map((one) => one.properties.email).sort()).toEqual([
      'batch-1@example.com',
      'batch-2@example.com',
    ]);
    expect('errors' in read && JSON.stringify(read.errors)).toContain('999999');

    const byEmail = await client.crm.contacts.batchApi.read({
      inputs: [{ id: 'batch-2@example.com' }],
      idProperty: 'email',
      properties: [],
      propertiesWithHistory: [],
    });
    expect(byEmail.results[0]?.id).toBe(ids[1]);

    const updated = await client.crm.contacts.batchApi.update({
      inputs: ids.map((id) => ({ id, properties: { lifecyclestage: 'lead' } })),
    });
    expect(updated.results.every((one) => one.properties.lifecyclestage === 'lead')).toBe(true);

    await client.crm.contacts.batchApi.archive({ inputs: ids.map((id) => ({ id })) });
    const after = await client.crm.contacts.batchApi.read({
      inputs: ids.map((id) => ({ id })),
      properties: [],
      propertiesWithHistory: [],
    });
    expect(after.results).toHaveLength(0);
  });

  it('reports per-input errors with 207 when every input has an objectWriteTraceId', async () => {
    const result = await fetchJson(`${sandbox.baseUrl}/crm/v3/objects/contacts/batch/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${portal.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [
          { objectWriteTraceId: 't-1', properties: { email: 'traced@example.com' } },
          { objectWriteTraceId: 't-2', properties: { email: 'traced-2@example.com', nope: 'x' } },
        ],
      }),
    });
    expect(result.status).toBe(207);
    const body = result.body as {
      status: string;
      numErrors: number;
      results: Array<{ objectWriteTraceId: string; properties: Record<string, string> }>;
      errors: Array<{ category: string; context: Record<string, string[]> }>;
    };
    expect(body.status).toBe('COMPLETE');
    expect(body.results.map((one) => [one.objectWriteTraceId, one.properties.email])).toEqual([
      ['t-1', 'traced@example.com'],
    ]);
    expect(body.numErrors).toBe(1);
    expect(body.errors[0]?.category).toBe('VALIDATION_ERROR');
    expect(body.errors[0]?.context.objectWriteTraceId).toEqual(['t-2']);
  });

  it('fails a whole batch create on an invalid option, writing nothing', async () => {
    const before = await client.crm.contacts.searchApi.doSearch({
      filterGroups: [
        {
          filters: [
            { propertyName: 'email', operator: FilterOperatorEnum.ContainsToken, value: '*@atomic.example' },
          ],
        },
      ],
    });
    const error = await apiError(
      client.crm.contacts.batchApi.create({
        inputs: [
          { properties: { email: 'one@atomic.example' }, associations: [] },
          { properties: { email: 'two@atomic.example', lifecyclestage: 'wizard' }, associations: [] },
        ],
      }),
    );
    expect(error.code).toBe(400);
    expect(error.body.message).toContain('INVALID_OPTION');
    const after = await client.crm.contacts.searchApi.doSearch({
      filterGroups: [
        {
          filters: [
            { propertyName: 'email', operator: FilterOperatorEnum.ContainsToken, value: '*@atomic.example' },
          ],
        },
      ],
    });
    expect(after.total).toBe(before.total);
  });
});

describe('wire details', () => {
  it('answers unknown paths and missing tokens with HubSpot-shaped JSON', async () => {
    const missing = await fetchJson(`${sandbox.baseUrl}/crm/v3/nothing-here`);
    expect(missing.status).toBe(404);
    expect(missing.contentType).toMatch(/^application\/json/);
    expect(missing.body).toMatchObject({ status: 'error', category: 'OBJECT_NOT_FOUND' });

    const anonymous = await fetchJson(`${sandbox.baseUrl}/crm/v3/objects/contacts`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.contentType).toMatch(/^application\/json/);
    expect(anonymous.body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });

    // Path segments that name Object.prototype members are plain unknown ids and types.
    const auth = { authorization: `Bearer ${portal.accessToken}` };
    const protoId = await fetchJson(`${sandbox.baseUrl}/crm/v3/objects/contacts/constructor`, {
      headers: auth,
    });
    expect(protoId.status).toBe(404);
    const protoType = await fetchJson(`${sandbox.baseUrl}/crm/v3/objects/__proto__/1`, { headers: auth });
    expect(protoType.status).toBe(400);
    expect(protoType.body).toMatchObject({ category: 'VALIDATION_ERROR' });

    const badJson = await fetchJson(`${sandbox.baseUrl}/crm/v3/objects/contacts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${portal.accessToken}`, 'content-type': 'application/json' },
      body: '{"properties":',
    });
    expect(badJson.status).toBe(400);
    expect(badJson.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
  });

  it('keeps portals apart: a token of one portal never sees another portal’s records', async () => {
    const other = await createPortal(sandbox.baseUrl, { name: 'Other' });
    const otherClient = clientFor(sandbox.baseUrl, other.accessToken);
    const mine = await client.crm.contacts.basicApi.create({
      properties: { email: 'mine@example.com' },
      associations: [],
    });
    const error = await apiError(otherClient.crm.contacts.basicApi.getById(mine.id));
    expect(error.code).toBe(404);
    // The same email is free in the other portal.
    const theirs = await otherClient.crm.contacts.basicApi.create({
      properties: { email: 'mine@example.com' },
      associations: [],
    });
    expect(theirs.id).toMatch(/^\d+$/);
  });

  it('lists with `after` paging', async () => {
    await client.crm.companies.batchApi.create({
      inputs: [1, 2, 3].map((index) => ({ properties: { name: `Paged ${index}` }, associations: [] })),
    });
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await client.crm.companies.basicApi.getPage(2, after, ['name']);
      expect(page.results.length).toBeLessThanOrEqual(2);
      seen.push(...page.results.map((one) => one.id));
      after = page.paging?.next?.after;
    } while (after !== undefined);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(3);
  });
});
