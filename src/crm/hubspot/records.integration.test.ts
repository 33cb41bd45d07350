import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  contact,
  crmError,
  type HubspotSandbox,
  type Portal,
  startHubspotSandbox,
} from '../../../test/helpers/hubspot-connector.ts';
import type { CrmSession } from '../types.ts';
import { hubspotConnector } from './connector.ts';

/**
 * The HubSpot connector's record calls against the HubSpot sandbox: properties, batch
 * create and update with per-record outcomes, search by email, deals and associations.
 */

let sandbox: HubspotSandbox;

beforeAll(async () => {
  sandbox = await startHubspotSandbox();
});

afterAll(async () => {
  await sandbox.close();
});

describe('hubspot connector: records', () => {
  let portal: Portal;
  let session: CrmSession;

  beforeAll(async () => {
    portal = await sandbox.newPortal({ rateLimitMax: 10_000 });
    session = sandbox.sessionOf(portal);
  });

  it('describes contact properties with refsync types and creates the system properties', async () => {
    const fields = await hubspotConnector.describe(session, 'contacts');
    const byName = new Map(fields.map((field) => [field.name, field]));
    expect(byName.get('email')).toMatchObject({
      type: 'email',
      createable: true,
      custom: false,
      required: false,
    });
    expect(byName.get('firstname')).toMatchObject({ type: 'string', createable: true, updateable: true });
    expect(byName.get('phone')?.type).toBe('phone');
    expect(byName.get('lifecyclestage')?.type).toBe('picklist');
    expect(byName.get('createdate')).toMatchObject({
      type: 'datetime',
      createable: false,
      updateable: false,
    });
    expect(byName.get('hs_object_id')).toMatchObject({ type: 'id', createable: false });
    expect(fields.every((field) => !field.required)).toBe(true);

    const names = hubspotConnector.systemFieldNames('contacts');
    await hubspotConnector.createField(session, 'contacts', {
      name: names.referralId,
      label: 'Referral ID',
      type: 'string',
    });
    await hubspotConnector.createField(session, 'contacts', {
      name: names.sourceNote,
      label: 'Source note',
      type: 'textarea',
    });
    await hubspotConnector.createField(session, 'contacts', {
      name: names.referralUrl,
      label: 'Referral',
      type: 'url',
    });
    const after = new Map(
      (await hubspotConnector.describe(session, 'contacts')).map((field) => [field.name, field]),
    );
    expect(after.get('refsync_referral_id')).toMatchObject({
      label: 'Referral ID',
      type: 'string',
      custom: true,
      createable: true,
      updateable: true,
    });
    expect(after.get('refsync_source_note')?.type).toBe('textarea');
    // HubSpot has no url type: a url property is single-line text.
    expect(after.get('refsync_referral_url')?.type).toBe('string');

    const again = await crmError(
      hubspotConnector.createField(session, 'contacts', {
        name: names.referralId,
        label: 'x',
        type: 'string',
      }),
    );
    expect(again).toMatchObject({ kind: 'duplicate', crmCode: 'OBJECT_ALREADY_EXISTS', status: 409 });
  });

  it('creates 150 contacts in two batches and finds them by email in any case', async () => {
    const records = Array.from({ length: 150 }, (_, index) => contact(index, 'bulk'));
    const outcomes = await hubspotConnector.create(session, 'contacts', records, { allowDuplicates: false });
    expect(outcomes).toHaveLength(150);
    const ids = outcomes.map((outcome) => (outcome.ok ? outcome.id : `failed: ${outcome.error.message}`));
    expect(ids.every((id) => /^\d+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(150);

    const wanted = records.map((record, index) =>
      index % 2 === 0 ? String(record.email).toUpperCase() : String(record.email),
    );
    const started = Date.now();
    const found = await hubspotConnector.findBy(
      session,
      'contacts',
      'email',
      [...wanted, 'Nobody@Example.com'],
      ['email', 'firstname'],
    );
    expect(found).toHaveLength(150);
    const byEmail = new Map(found.map((record) => [record.values.email, record]));
    records.forEach((record, index) => {
      const match = byEmail.get(record.email);
      expect(match).toMatchObject({
        id: ids[index],
        object: 'contacts',
        values: { firstname: `First${index}` },
      });
      expect(match?.createdAt?.getTime()).toBeGreaterThan(started - 60_000);
    });
  });

  it('gives a duplicate email its own outcome while the rest of the batch is created', async () => {
    const [existing] = await hubspotConnector.create(session, 'contacts', [contact(1, 'dup')], {
      allowDuplicates: false,
    });
    if (existing?.ok !== true) throw new Error('setup: the first contact was not created');

    const outcomes = await hubspotConnector.create(
      session,
      'contacts',
      [
        contact(2, 'dup'),
        { ...contact(1, 'dup'), email: 'DUP.1@example.com' },
        { email: 'bad@example.com', nosuch: 'x' },
        contact(3, 'dup'),
      ],
      { allowDuplicates: true },
    );
    expect(outcomes.map((outcome) => (outcome.ok ? 'ok' : outcome.error.kind))).toEqual([
      'ok',
      'duplicate',
      'validation',
      'ok',
    ]);
    const duplicate = outcomes[1];
    if (duplicate?.ok !== false) throw new Error('expected a duplicate outcome');
    expect(duplicate.error.crmCode).toBe('CONFLICT');
    expect(duplicate.error.message).toBe(`Contact already exists. Existing ID: ${existing.id}`);
    const invalid = outcomes[2];
    if (invalid?.ok !== false) throw new Error('expected a validation outcome');
    expect(invalid.error.crmCode).toBe('VALIDATION_ERROR');
    expect(invalid.error.message).toContain('PROPERTY_DOESNT_EXIST');
  });

  it('falls back to one create per record when the batch is refused as a whole', async () => {
    // The same email twice in one batch makes HubSpot refuse the batch before writing anything.
    const outcomes = await hubspotConnector.create(
      session,
      'contacts',
      [contact(1, 'twice'), contact(2, 'twice'), { ...contact(1, 'twice'), firstname: 'Again' }],
      { allowDuplicates: false },
    );
    expect(outcomes.map((outcome) => (outcome.ok ? 'ok' : outcome.error.kind))).toEqual([
      'ok',
      'ok',
      'duplicate',
    ]);
    const found = await hubspotConnector.findBy(
      session,
      'contacts',
      'email',
      ['twice.1@example.com'],
      ['firstname'],
    );
    expect(found.map((record) => record.values.firstname)).toEqual(['First1']);
  });

  it('updates records and reports the missing one on its own', async () => {
    const created = await hubspotConnector.create(
      session,
      'contacts',
      [contact(1, 'upd'), contact(2, 'upd')],
      {
        allowDuplicates: false,
      },
    );
    const ids = created.map((outcome) => (outcome.ok ? outcome.id : ''));
    const outcomes = await hubspotConnector.update(session, 'contacts', [
      { id: ids[0] ?? '', values: { firstname: 'Renamed', refsync_referral_id: 'ref_1' } },
      { id: '999999999', values: { firstname: 'Ghost' } },
      { id: ids[1] ?? '', values: { company: 'Globex' } },
    ]);
    expect(outcomes[0]).toEqual({ ok: true, id: ids[0] });
    expect(outcomes[2]).toEqual({ ok: true, id: ids[1] });
    const missing = outcomes[1];
    if (missing?.ok !== false) throw new Error('expected the unknown id to fail');
    expect(missing.error).toMatchObject({ kind: 'not_found', crmCode: 'OBJECT_NOT_FOUND' });

    const found = await hubspotConnector.findBy(
      session,
      'contacts',
      'email',
      ['upd.1@example.com', 'upd.2@example.com'],
      ['firstname', 'company', 'refsync_referral_id'],
    );
    const byId = new Map(found.map((record) => [record.id, record.values]));
    expect(byId.get(ids[0] ?? '')).toEqual({
      firstname: 'Renamed',
      company: 'Acme',
      refsync_referral_id: 'ref_1',
    });
    expect(byId.get(ids[1] ?? '')).toMatchObject({ company: 'Globex' });

    const invalid = await hubspotConnector.update(session, 'contacts', [
      { id: ids[0] ?? '', values: { lifecyclestage: 'not-a-stage' } },
      { id: ids[1] ?? '', values: { firstname: 'Fine' } },
    ]);
    expect(invalid.map((outcome) => (outcome.ok ? 'ok' : outcome.error.kind))).toEqual(['validation', 'ok']);
  });

  it('creates a deal associated with the contact', async () => {
    const [created] = await hubspotConnector.create(session, 'contacts', [contact(1, 'deal')], {
      allowDuplicates: false,
    });
    if (created?.ok !== true) throw new Error('setup: contact not created');
    const createDeal = hubspotConnector.createDeal;
    if (createDeal === undefined) throw new Error('the HubSpot connector creates deals');
    const deal = await createDeal(session, {
      pipeline: 'default',
      stage: 'appointmentscheduled',
      name: 'Referral: First1 Last1',
      contactId: created.id,
    });
    if (!deal.ok) throw deal.error;

    const response = await fetch(`${sandbox.base}/crm/v4/objects/deals/${deal.id}/associations/contacts`, {
      headers: { authorization: `Bearer ${portal.accessToken}` },
    });
    const body = (await response.json()) as {
      results: Array<{
        toObjectId: number | string;
        associationTypes: Array<{ typeId: number; category: string }>;
      }>;
    };
    expect(body.results.map((result) => String(result.toObjectId))).toEqual([created.id]);
    expect(body.results[0]?.associationTypes).toContainEqual(
      expect.objectContaining({ typeId: 3, category: 'HUBSPOT_DEFINED' }),
    );
    expect(hubspotConnector.recordUrl(session, 'deals', deal.id)).toBe(
      `${sandbox.base}/_ui/portals/${portal.portalId}?type=deals`,
    );

    const badStage = await createDeal(session, {
      pipeline: 'default',
      stage: 'nope',
      name: 'x',
      contactId: created.id,
    });
    expect(badStage.ok ? 'ok' : badStage.error.kind).toBe('validation');
  });
});
