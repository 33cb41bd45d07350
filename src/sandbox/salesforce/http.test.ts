import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_VERSION,
  type NewOrg,
  type RunningSandbox,
  rejection,
  startSandboxWithOrg,
} from '../../../test/helpers/sandbox-salesforce.ts';
import { idChecksum, looksLikeId, to18 } from './ids.ts';

let sandbox: RunningSandbox;
let org: NewOrg;
let conn: Connection;

beforeAll(async () => {
  ({ sandbox, org, conn } = await startSandboxWithOrg());
});

afterAll(async () => {
  await sandbox.close();
});

const data = (path: string) => `${sandbox.base}/services/data/v${API_VERSION}${path}`;

describe('record ids', () => {
  it('computes the documented checksum', () => {
    expect(idChecksum('001D000000IqhSL')).toBe('IAZ');
    expect(to18('001D000000IqhSL')).toBe('001D000000IqhSLIAZ');
    expect(looksLikeId('001D000000IqhSLIAZ')).toBe(true);
    expect(looksLikeId('001D000000IqhSLIAA')).toBe(false);
    expect(looksLikeId('not-an-id')).toBe(false);
  });

  it('accepts the 15-character form of an id in URLs and SOQL', async () => {
    const created = await conn.sobject('Account').create({ Name: 'Fifteen' });
    const id15 = (created.id ?? '').slice(0, 15);
    const read = await conn.sobject('Account').retrieve(id15);
    expect(read.Id).toBe(created.id);
    const query = await conn.query(`SELECT Name FROM Account WHERE Id = '${id15}'`);
    expect(query.records).toMatchObject([{ Name: 'Fifteen' }]);
  });
});

describe('HTTP surface', () => {
  it.each([
    ['no header', {}],
    ['a bad token', { authorization: 'Bearer 00D000000000000!nope' }],
    ['a malformed header', { authorization: 'Basic abc' }],
  ])('answers 401 INVALID_SESSION_ID with %s', async (_label, headers) => {
    const response = await fetch(data('/sobjects'), { headers });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual([
      { errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' },
    ]);
  });

  it("never serves another org's records to a token", async () => {
    const other = await sandbox.createOrg();
    const otherConn = await sandbox.login(other);
    const account = await otherConn.sobject('Account').create({ Name: 'Private' });
    const read = await rejection(conn.sobject('Account').retrieve(account.id ?? ''));
    expect(read.errorCode).toBe('NOT_FOUND');
  });

  it('answers bad JSON with JSON_PARSER_ERROR and unknown paths with NOT_FOUND', async () => {
    const bad = await fetch(data('/sobjects/Lead'), {
      method: 'POST',
      headers: { authorization: `Bearer ${conn.accessToken}`, 'content-type': 'application/json' },
      body: '{"LastName":',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject([{ errorCode: 'JSON_PARSER_ERROR' }]);
    const wrongType = await fetch(data('/sobjects/Lead'), {
      method: 'POST',
      headers: { authorization: `Bearer ${conn.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ LastName: 'X', Company: 'Y', NumberOfEmployees: 'many' }),
    });
    expect(await wrongType.json()).toMatchObject([{ errorCode: 'JSON_PARSER_ERROR' }]);
    const unknown = await fetch(`${sandbox.base}/nothing/here`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual([
      { errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' },
    ]);
    const notId = await fetch(data('/sobjects/Lead/not-an-id'), {
      headers: { authorization: `Bearer ${conn.accessToken}` },
    });
    expect(await notId.json()).toEqual([
      {
        errorCode: 'NOT_FOUND',
        message: 'Provided external ID field does not exist or is not accessible: not-an-id',
      },
    ]);
  });

  it('rejects read-only fields and an Id in a create body', async () => {
    const readOnly = await rejection(
      conn.sobject('Lead').create({ LastName: 'R', Company: 'O', IsConverted: true }),
    );
    expect(readOnly.errorCode).toBe('INVALID_FIELD_FOR_INSERT_UPDATE');
    const response = await fetch(data('/sobjects/Lead'), {
      method: 'POST',
      headers: { authorization: `Bearer ${conn.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ Id: '00Q000000000000AAA', LastName: 'I', Company: 'D' }),
    });
    expect(await response.json()).toEqual([
      { errorCode: 'INVALID_FIELD', message: 'The Id field should not be specified in the sobject data.' },
    ]);
  });

  it('manages campaign members and refuses the same lead twice', async () => {
    const campaign = await conn
      .sobject('Campaign')
      .create({ Name: 'Referral spring', Type: 'Referral Program' });
    const lead = await conn.sobject('Lead').create({ LastName: 'Member', Company: 'Campaign' });
    const member = await conn
      .sobject('CampaignMember')
      .create({ CampaignId: campaign.id, LeadId: lead.id, Status: 'Responded' });
    expect(member.id).toMatch(/^00v/);
    expect(await conn.sobject('CampaignMember').retrieve(member.id ?? '')).toMatchObject({
      HasResponded: true,
      Status: 'Responded',
    });
    const twice = await rejection(
      conn.sobject('CampaignMember').create({ CampaignId: campaign.id, LeadId: lead.id }),
    );
    expect(twice.errorCode).toBe('DUPLICATE_VALUE');
    expect(twice.message).toBe('Already a campaign member.');
    const members = await conn.query(
      `SELECT Lead.LastName, Campaign.Name FROM CampaignMember WHERE CampaignId = '${campaign.id}'`,
    );
    expect(members.records).toMatchObject([
      { Lead: { LastName: 'Member' }, Campaign: { Name: 'Referral spring' } },
    ]);
  });

  it('serves User for the org user, read-only', async () => {
    const me = await conn.query<{ Id: string; Username: string }>('SELECT Id, Username FROM User');
    expect(me.records).toMatchObject([{ Id: org.userId, Username: org.username }]);
    const denied = await rejection(conn.sobject('User').create({ LastName: 'New' }));
    expect(denied.errorCode).toBe('INSUFFICIENT_ACCESS_OR_READONLY');
  });

  it('renders the org list page', async () => {
    const page = await fetch(`${sandbox.base}/`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain(org.orgId);
  });
});
