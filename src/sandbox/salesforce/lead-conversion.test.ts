import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type NewOrg,
  type RunningSandbox,
  rejection,
  startSandboxWithOrg,
} from '../../../test/helpers/sandbox-salesforce.ts';

let sandbox: RunningSandbox;
let org: NewOrg;
let conn: Connection;

beforeAll(async () => {
  ({ sandbox, org, conn } = await startSandboxWithOrg());
});

afterAll(async () => {
  await sandbox.close();
});

interface Converted {
  leadId: string;
  accountId: string;
  contactId: string;
  opportunityId: string | null;
}

describe('lead conversion', () => {
  it('creates account, contact and opportunity, then refuses updates to the lead', async () => {
    const lead = await conn
      .sobject('Lead')
      .create({ FirstName: 'Grace', LastName: 'Hopper', Company: 'Navy', Email: 'grace@navy.test' });
    const converted = await sandbox.admin<Converted>('POST', `/orgs/${org.orgId}/leads/${lead.id}/convert`, {
      opportunityName: 'Navy deal',
    });
    expect(converted.status).toBe(200);
    const { accountId, contactId, opportunityId } = converted.body;
    const read = await conn.sobject('Lead').retrieve(lead.id ?? '');
    expect(read).toMatchObject({
      IsConverted: true,
      Status: 'Closed - Converted',
      ConvertedAccountId: accountId,
      ConvertedContactId: contactId,
      ConvertedOpportunityId: opportunityId,
    });
    expect(String(read.ConvertedDate)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const contact = await conn.sobject('Contact').retrieve(contactId);
    expect(contact).toMatchObject({ Email: 'grace@navy.test', AccountId: accountId, LastName: 'Hopper' });
    const opportunity = await conn.sobject('Opportunity').retrieve(opportunityId ?? '');
    expect(opportunity).toMatchObject({
      Name: 'Navy deal',
      AccountId: accountId,
      StageName: 'Prospecting',
      IsClosed: false,
    });
    const roles = await conn.query(
      `SELECT ContactId, IsPrimary FROM OpportunityContactRole WHERE OpportunityId = '${opportunityId}'`,
    );
    expect(roles.records).toMatchObject([{ ContactId: contactId, IsPrimary: true }]);

    const refused = await rejection(conn.sobject('Lead').update({ Id: lead.id ?? '', Title: 'Admiral' }));
    expect(refused.errorCode).toBe('CANNOT_UPDATE_CONVERTED_LEAD');
    const again = await sandbox.admin<{ errorCode: string }[]>(
      'POST',
      `/orgs/${org.orgId}/leads/${lead.id}/convert`,
      {},
    );
    expect(again.status).toBe(400);
  });

  it('converts without an opportunity from the web page and sets a stage there', async () => {
    const lead = await conn.sobject('Lead').create({ LastName: 'Page', Company: 'Web Co' });
    const list = await fetch(`${sandbox.base}/_ui/orgs/${org.orgId}?object=Lead`);
    const html = await list.text();
    expect(html).toContain(String(lead.id));
    expect(html).toContain('Convert');
    const form = await fetch(`${sandbox.base}/_ui/orgs/${org.orgId}/leads/${lead.id}/convert`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'doNotCreateOpportunity=true',
      redirect: 'manual',
    });
    expect(form.status).toBe(303);
    const read = await conn.sobject('Lead').retrieve(lead.id ?? '');
    expect(read).toMatchObject({ IsConverted: true, ConvertedOpportunityId: null });

    const account = await conn.sobject('Account').create({ Name: 'Stage Co' });
    const opp = await conn.sobject('Opportunity').create({
      Name: 'Stage deal',
      StageName: 'Prospecting',
      CloseDate: '2031-01-01',
      AccountId: account.id,
    });
    const stage = await fetch(`${sandbox.base}/_ui/orgs/${org.orgId}/opportunities/${opp.id}/stage`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ StageName: 'Closed Won' }).toString(),
      redirect: 'manual',
    });
    expect(stage.status).toBe(303);
    expect(await conn.sobject('Opportunity').retrieve(opp.id ?? '')).toMatchObject({
      StageName: 'Closed Won',
      IsWon: true,
    });
  });

  it('escapes record values on the web page', async () => {
    await conn.sobject('Account').create({ Name: '<script>alert(1)</script>' });
    const page = await (await fetch(`${sandbox.base}/_ui/orgs/${org.orgId}?object=Account`)).text();
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('shows an error page when a web edit is refused', async () => {
    const lead = await conn.sobject('Lead').create({ LastName: 'Refused', Company: 'X' });
    await sandbox.admin('POST', `/orgs/${org.orgId}/leads/${lead.id}/convert`, {});
    const form = await fetch(`${sandbox.base}/_ui/orgs/${org.orgId}/leads/${lead.id}/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Status=Working+-+Contacted',
    });
    expect(form.status).toBe(400);
    expect(await form.text()).toContain('CANNOT_UPDATE_CONVERTED_LEAD');
  });
});

describe('convertLead over the Partner SOAP API', () => {
  it("converts through jsforce's conn.soap.convertLead and reports per-lead errors", async () => {
    const lead = await conn.sobject('Lead').create({ LastName: 'Soap & Co', Company: 'Soap <Ltd>' });
    const result = (await conn.soap.convertLead({
      leadId: lead.id ?? '',
      convertedStatus: 'Closed - Converted',
      doNotCreateOpportunity: true,
    })) as { success: boolean; accountId: string; contactId: string; opportunityId: string | null };
    expect(result.success).toBe(true);
    expect(result.accountId).toMatch(/^001/);
    expect(result.opportunityId).toBeNull();
    const account = await conn.sobject('Account').retrieve(result.accountId);
    expect(account.Name).toBe('Soap <Ltd>');

    const again = (await conn.soap.convertLead({
      leadId: lead.id ?? '',
      convertedStatus: 'Closed - Converted',
    })) as {
      success: boolean;
      errors: { statusCode: string }[] | { statusCode: string };
    };
    expect(again.success).toBe(false);
    const errors = Array.isArray(again.errors) ? again.errors : [again.errors];
    expect(errors[0]?.statusCode).toBe('CANNOT_UPDATE_CONVERTED_LEAD');
  });
});
