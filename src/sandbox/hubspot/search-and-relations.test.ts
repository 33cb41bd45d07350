import type { Client } from '@hubspot/api-client';
import { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/associations/v4/models/AssociationSpec.js';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/contacts/models/Filter.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiError,
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

describe('search', () => {
  beforeAll(async () => {
    const inputs = Array.from({ length: 12 }, (_, index) => ({
      properties: {
        email: `searcher-${index}@search.example`,
        firstname: index % 2 === 0 ? 'Even' : 'Odd',
        lastname: `Number${String(index).padStart(2, '0')}`,
        ...(index < 3 ? { phone: `555-000${index}` } : {}),
      },
      associations: [],
    }));
    await client.crm.contacts.batchApi.create({ inputs });
  });

  it('filters with AND inside a group and OR across groups, sorts and pages with `after`', async () => {
    const request = {
      filterGroups: [
        {
          filters: [
            { propertyName: 'email', operator: FilterOperatorEnum.ContainsToken, value: '*@search.example' },
            { propertyName: 'firstname', operator: FilterOperatorEnum.Eq, value: 'even' },
          ],
        },
        { filters: [{ propertyName: 'lastname', operator: FilterOperatorEnum.Eq, value: 'Number11' }] },
      ],
      sorts: ['-lastname'],
      properties: ['lastname'],
      limit: 4,
    };
    const first = await client.crm.contacts.searchApi.doSearch(request);
    expect(first.total).toBe(7);
    expect(first.results.map((one) => one.properties.lastname)).toEqual([
      'Number11',
      'Number10',
      'Number08',
      'Number06',
    ]);
    const after = first.paging?.next?.after;
    expect(after).toBeDefined();
    const second = await client.crm.contacts.searchApi.doSearch({ ...request, after: after ?? '' });
    expect(second.results.map((one) => one.properties.lastname)).toEqual([
      'Number04',
      'Number02',
      'Number00',
    ]);
    expect(second.paging).toBeUndefined();
  });

  it('supports IN, NOT_IN, HAS_PROPERTY, NOT_HAS_PROPERTY, BETWEEN, GT and NEQ', async () => {
    const count = async (filters: Array<Record<string, unknown>>) => {
      const result = await fetchJson(`${sandbox.baseUrl}/crm/v3/objects/contacts/search`, {
        method: 'POST',
        headers: { authorization: `Bearer ${portal.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          filterGroups: [
            {
              filters: [
                { propertyName: 'email', operator: 'CONTAINS_TOKEN', value: '*@search.example' },
                ...filters,
              ],
            },
          ],
          limit: 100,
        }),
      });
      return (result.body as { total: number }).total;
    };
    expect(
      await count([{ propertyName: 'lastname', operator: 'IN', values: ['Number01', 'Number02'] }]),
    ).toBe(2);
    expect(await count([{ propertyName: 'lastname', operator: 'NOT_IN', values: ['Number01'] }])).toBe(11);
    expect(await count([{ propertyName: 'phone', operator: 'HAS_PROPERTY' }])).toBe(3);
    expect(await count([{ propertyName: 'phone', operator: 'NOT_HAS_PROPERTY' }])).toBe(9);
    expect(
      await count([
        { propertyName: 'lastname', operator: 'BETWEEN', value: 'Number03', highValue: 'Number05' },
      ]),
    ).toBe(3);
    expect(await count([{ propertyName: 'hs_object_id', operator: 'GT', value: '0' }])).toBe(12);
    expect(await count([{ propertyName: 'firstname', operator: 'NEQ', value: 'Odd' }])).toBe(6);
    expect(
      await count([{ propertyName: 'createdate', operator: 'GTE', value: String(Date.now() - 60_000) }]),
    ).toBe(12);
  });

  it('matches a free-text query against names and emails by word prefix', async () => {
    const byName = await client.crm.contacts.searchApi.doSearch({
      query: 'numb odd',
      properties: ['lastname'],
      limit: 100,
    });
    expect(byName.total).toBe(6);
    const byEmail = await client.crm.contacts.searchApi.doSearch({ query: 'searcher-3@search.example' });
    expect(byEmail.total).toBe(1);
  });

  it('rejects a limit above 200 and an unknown property', async () => {
    const tooMany = await apiError(client.crm.contacts.searchApi.doSearch({ limit: 201 }));
    expect(tooMany.code).toBe(400);
    const unknown = await apiError(
      client.crm.contacts.searchApi.doSearch({
        filterGroups: [{ filters: [{ propertyName: 'nope', operator: FilterOperatorEnum.Eq, value: 'x' }] }],
      }),
    );
    expect(unknown.code).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('PROPERTY_DOESNT_EXIST');
  });
});

describe('properties, pipelines and associations', () => {
  it('creates a custom property, lists it, refuses a second one with 409, then accepts values', async () => {
    const property = await client.crm.properties.coreApi.create('contacts', {
      name: 'referral_code',
      label: 'Referral code',
      type: 'string' as never,
      fieldType: 'text' as never,
      groupName: 'contactinformation',
    });
    expect(property.name).toBe('referral_code');
    const all = await client.crm.properties.coreApi.getAll('contacts');
    expect(all.results.map((one) => one.name)).toEqual(expect.arrayContaining(['email', 'referral_code']));
    const again = await apiError(
      client.crm.properties.coreApi.create('contacts', {
        name: 'referral_code',
        label: 'Again',
        type: 'string' as never,
        fieldType: 'text' as never,
        groupName: 'contactinformation',
      }),
    );
    expect(again.code).toBe(409);
    const contact = await client.crm.contacts.basicApi.create({
      properties: { email: 'prop@example.com', referral_code: 'ABC' },
      associations: [],
    });
    expect(contact.properties.referral_code).toBe('ABC');
  });

  it('lists the default deal pipeline with closedwon and closedlost', async () => {
    const pipelines = await client.crm.pipelines.pipelinesApi.getAll('deals');
    const pipeline = pipelines.results[0];
    expect(pipeline?.id).toBe('default');
    const stages = new Map(pipeline?.stages.map((stage) => [stage.id, stage.metadata]));
    expect(stages.get('closedwon')).toEqual({ isClosed: 'true', probability: '1.0' });
    expect(stages.get('closedlost')).toEqual({ isClosed: 'true', probability: '0.0' });
    expect(stages.get('appointmentscheduled')?.isClosed).toBe('false');
  });

  it('associates records with v4 default and labeled calls, reads them singly and in batch, deletes', async () => {
    const company = await client.crm.companies.basicApi.create({
      properties: { name: 'Acme', domain: 'acme.test' },
      associations: [],
    });
    const contact = await client.crm.contacts.basicApi.create({
      properties: { email: 'assoc@acme.test' },
      associations: [
        {
          to: { id: company.id },
          types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 279 }],
        },
      ],
    });
    const deal = await client.crm.deals.basicApi.create({
      properties: {
        dealname: 'Big one',
        dealstage: 'appointmentscheduled',
        amount: '1000',
        closedate: '1735689600000',
      },
      associations: [],
    });
    expect(deal.properties.pipeline).toBe('default');
    expect(deal.properties.closedate).toBe('2025-01-01T00:00:00.000Z');
    expect(deal.properties.hs_deal_stage_probability).toBe('0.2');

    await client.crm.associations.v4.basicApi.createDefault('deals', deal.id, 'contacts', contact.id);
    const labeled = await client.crm.associations.v4.basicApi.create(
      'deals',
      deal.id,
      'companies',
      company.id,
      [{ associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined, associationTypeId: 5 }],
    );
    expect(labeled.labels).toEqual(['Primary']);

    const fromContact = await client.crm.associations.v4.basicApi.getPage(
      'contacts',
      contact.id,
      'companies',
    );
    expect(fromContact.results.map((one) => String(one.toObjectId))).toEqual([company.id]);
    expect(fromContact.results[0]?.associationTypes.map((type) => type.typeId)).toEqual([279]);

    const withV3 = await client.crm.deals.basicApi.getById(deal.id, undefined, undefined, [
      'contacts',
      'companies',
    ]);
    expect(withV3.associations?.contacts?.results.map((one) => one.id)).toEqual([contact.id]);
    expect(withV3.associations?.companies?.results.map((one) => one.type)).toEqual(['deal_to_company']);

    const batch = await client.crm.associations.v4.batchApi.getPage('companies', 'deals', {
      inputs: [{ id: company.id }],
    });
    expect(batch.results[0]?.to.map((one) => String(one.toObjectId))).toEqual([deal.id]);
    expect(batch.results[0]?.to[0]?.associationTypes.map((type) => type.typeId)).toEqual([6]);

    await client.crm.associations.v4.basicApi.archive('deals', deal.id, 'contacts', contact.id);
    const none = await client.crm.associations.v4.basicApi.getPage('contacts', contact.id, 'deals');
    expect(none.results).toEqual([]);
  });

  it('creates and archives associations in batch', async () => {
    const contacts = await client.crm.contacts.batchApi.create({
      inputs: ['p', 'q'].map((name) => ({
        properties: { email: `${name}@batch-assoc.example` },
        associations: [],
      })),
    });
    const deal = await client.crm.deals.basicApi.create({
      properties: { dealname: 'Batch assoc' },
      associations: [],
    });
    const ids = contacts.results.map((one) => one.id).sort();
    const created = await client.crm.associations.v4.batchApi.create('deals', 'contacts', {
      inputs: ids.map((id) => ({
        _from: { id: deal.id },
        to: { id },
        types: [
          {
            associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined,
            associationTypeId: 3,
          },
        ],
      })),
    });
    expect(created.results).toHaveLength(2);
    const linked = await client.crm.associations.v4.basicApi.getPage('deals', deal.id, 'contacts');
    expect(linked.results.map((one) => String(one.toObjectId)).sort()).toEqual(ids);
    const reverse = await client.crm.associations.v4.basicApi.getPage('contacts', ids[0] ?? '', 'deals');
    expect(reverse.results[0]?.associationTypes.map((type) => type.typeId)).toEqual([4]);

    await client.crm.associations.v4.batchApi.archive('deals', 'contacts', {
      inputs: [{ _from: { id: deal.id }, to: [{ id: ids[0] ?? '' }] }],
    });
    const left = await client.crm.associations.v4.basicApi.getPage('deals', deal.id, 'contacts');
    expect(left.results.map((one) => String(one.toObjectId))).toEqual([ids[1]]);
  });
});
