import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  contact,
  crmError,
  type HubspotSandbox,
  startHubspotSandbox,
} from '../../../test/helpers/hubspot-connector.ts';
import type { CrmSession } from '../types.ts';
import { createHubspotConnector, hubspotConnector } from './connector.ts';

/**
 * The HubSpot connector against the HubSpot sandbox, through the real client: the provider
 * facts, OAuth (consent page, code exchange, refresh, expiry) and the failures the sandbox
 * can be told to produce (429s, outages, a refused connection).
 */

let sandbox: HubspotSandbox;

beforeAll(async () => {
  sandbox = await startHubspotSandbox();
});

afterAll(async () => {
  await sandbox.close();
});

describe('hubspot connector: facts', () => {
  it('builds the consent URL with the scopes refsync needs', () => {
    const url = new URL(
      hubspotConnector.authorizeUrl(
        hubspotConnector.defaultEndpoints,
        { clientId: 'client-1', clientSecret: 'secret', redirectUri: 'https://refsync.example/cb' },
        'st',
      ),
    );
    expect(`${url.origin}${url.pathname}`).toBe('https://app.hubspot.com/oauth/authorize');
    expect(url.searchParams.get('client_id')).toBe('client-1');
    expect(url.searchParams.get('redirect_uri')).toBe('https://refsync.example/cb');
    expect(url.searchParams.get('state')).toBe('st');
    expect(url.searchParams.get('scope')?.split(' ')).toEqual(
      expect.arrayContaining([
        'crm.objects.contacts.write',
        'crm.objects.deals.write',
        'crm.schemas.contacts.write',
        'oauth',
      ]),
    );
  });

  it('links to the HubSpot app for real portals and to the sandbox page otherwise', async () => {
    const real: CrmSession = {
      endpoints: hubspotConnector.defaultEndpoints,
      accessToken: 't',
      instanceUrl: undefined,
      accountId: '123',
    };
    expect(hubspotConnector.recordUrl(real, 'contacts', '501')).toBe(
      'https://app.hubspot.com/contacts/123/record/0-1/501',
    );
    expect(hubspotConnector.recordUrl(real, 'deals', '77')).toBe(
      'https://app.hubspot.com/contacts/123/record/0-3/77',
    );
    const portal = await sandbox.newPortal();
    const link = hubspotConnector.recordUrl(sandbox.sessionOf(portal), 'contacts', '101');
    expect(link).toBe(`${sandbox.base}/_ui/portals/${portal.portalId}?type=contacts`);
    expect((await fetch(link)).status).toBe(200);
  });
});

describe('hubspot connector: OAuth', () => {
  it('exchanges a code from the consent page, reads the portal and refreshes', async () => {
    const portal = await sandbox.newPortal();
    const before = Date.now();
    const { tokens, account } = await sandbox.connect(portal);
    expect(account.accountId).toBe(String(portal.portalId));
    expect(account.userId).toMatch(/^\d+$/);
    expect(tokens.accessToken).not.toBe('');
    expect(tokens.refreshToken).not.toBe(undefined);
    expect(tokens.instanceUrl).toBeUndefined();
    const lifetime = (tokens.expiresAt?.getTime() ?? 0) - before;
    expect(lifetime).toBeGreaterThan(1790_000);
    expect(lifetime).toBeLessThan(1810_000);

    const refreshed = await hubspotConnector.refresh(
      sandbox.endpoints,
      sandbox.oauthClientOf(portal),
      tokens.refreshToken ?? '',
    );
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
    // The sandbox, like HubSpot, does not rotate refresh tokens: the old one is kept.
    expect(refreshed.refreshToken).toBe(tokens.refreshToken);
    const fields = await hubspotConnector.describe(
      sandbox.sessionOf(portal, refreshed.accessToken),
      'contacts',
    );
    expect(fields.some((field) => field.name === 'email')).toBe(true);
  });

  it('reports a refused refresh token and a refused code as auth failures', async () => {
    const portal = await sandbox.newPortal();
    const refused = await crmError(
      hubspotConnector.refresh(sandbox.endpoints, sandbox.oauthClientOf(portal), 'no-such-token'),
    );
    expect(refused).toMatchObject({ kind: 'auth', crmCode: 'BAD_REFRESH_TOKEN', status: 400 });
    expect(refused.message).toBe('missing or unknown refresh token');
    const badCode = await crmError(
      hubspotConnector.exchangeCode(sandbox.endpoints, sandbox.oauthClientOf(portal), 'nope'),
    );
    expect(badCode).toMatchObject({ kind: 'auth', crmCode: 'BAD_AUTH_CODE' });
  });

  it('turns an expired access token into an auth error, and a refresh cures it', async () => {
    const portal = await sandbox.newPortal();
    const { tokens } = await sandbox.connect(portal);
    await sandbox.admin('POST', `/_admin/portals/${portal.portalId}/expire-tokens`);
    const expired = await crmError(
      hubspotConnector.describe(sandbox.sessionOf(portal, tokens.accessToken), 'contacts'),
    );
    expect(expired).toMatchObject({ kind: 'auth', crmCode: 'EXPIRED_AUTHENTICATION', status: 401 });
    expect(expired.message).toMatch(/^The OAuth token used to make this call expired \d+ second\(s\) ago\.$/);
    const fresh = await hubspotConnector.refresh(
      sandbox.endpoints,
      sandbox.oauthClientOf(portal),
      tokens.refreshToken ?? '',
    );
    await expect(
      hubspotConnector.describe(sandbox.sessionOf(portal, fresh.accessToken), 'contacts'),
    ).resolves.not.toEqual([]);
    const unknown = await crmError(
      hubspotConnector.describe(sandbox.sessionOf(portal, 'not-a-token'), 'contacts'),
    );
    expect(unknown).toMatchObject({ kind: 'auth', crmCode: 'INVALID_AUTHENTICATION' });
  });
});

describe('hubspot connector: failures', () => {
  it('lets the client absorb one 429 and surfaces a persistent one as rate_limited', async () => {
    const [once, always] = await Promise.all([sandbox.newPortal(), sandbox.newPortal()]);
    await sandbox.admin('PUT', `/_admin/portals/${once.portalId}/faults`, { force429Count: 1 });
    await sandbox.admin('PUT', `/_admin/portals/${always.portalId}/faults`, { force429Count: 50 });
    const [absorbed, limited] = await Promise.all([
      hubspotConnector.describe(sandbox.sessionOf(once), 'contacts'),
      crmError(hubspotConnector.describe(sandbox.sessionOf(always), 'contacts')),
    ]);
    expect(absorbed.length).toBeGreaterThan(0);
    expect(limited).toMatchObject({
      kind: 'rate_limited',
      crmCode: 'TEN_SECONDLY_ROLLING',
      status: 429,
      retryAfterMs: 10_000,
      retryable: true,
    });
    expect(limited.message).toBe('You have reached your ten_secondly_rolling limit.');
  }, 25_000);

  it('reads the wait from the rate-limit headers and keeps IDs written before the limit', async () => {
    // Unpaced, as another process's calls would be: the second batch runs into the limit.
    const noRetry = createHubspotConnector({ numberOfApiCallRetries: 0, pacing: false });
    const portal = await sandbox.newPortal({ rateLimitMax: 1, rateLimitIntervalMs: 4000 });
    const outcomes = await noRetry.create(
      sandbox.sessionOf(portal),
      'contacts',
      Array.from({ length: 150 }, (_, index) => contact(index, 'limit')),
      { allowDuplicates: false },
    );
    expect(outcomes.slice(0, 100).every((outcome) => outcome.ok)).toBe(true);
    for (const outcome of outcomes.slice(100)) {
      expect(outcome.ok ? 'ok' : outcome.error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 4000 });
    }
    // Nothing written yet: the failure is the call's, so it is thrown.
    const thrown = await crmError(noRetry.describe(sandbox.sessionOf(portal), 'contacts'));
    expect(thrown).toMatchObject({
      kind: 'rate_limited',
      crmCode: 'TEN_SECONDLY_ROLLING',
      retryAfterMs: 4000,
    });
  });

  it('paces a burst of calls under the portal limit it reports instead of running into 429s', async () => {
    // No retries: a single 429 would fail the call.
    const paced = createHubspotConnector({ numberOfApiCallRetries: 0 });
    const portal = await sandbox.newPortal({ rateLimitMax: 10, rateLimitIntervalMs: 2000 });
    const session = sandbox.sessionOf(portal);
    // The first answer tells the limit (the default is HubSpot's lowest, 100 per 10 s).
    await paced.describe(session, 'contacts');
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, index) =>
        index % 2 === 0
          ? paced.describe(session, 'contacts')
          : paced.findBy(session, 'contacts', 'email', [`p${index}@example.com`], ['email']),
      ),
    );
    expect(answers.filter((answer) => Array.isArray(answer))).toHaveLength(24);
    // 25 calls at 9 (95% of 10) per window of 2 s: the last ones waited two windows.
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
  }, 30_000);

  it('turns an outage and a refused connection into unavailable', async () => {
    const portal = await sandbox.newPortal();
    await sandbox.admin('PUT', `/_admin/portals/${portal.portalId}/faults`, { outageSeconds: 60 });
    const outage = await crmError(
      hubspotConnector.findBy(sandbox.sessionOf(portal), 'contacts', 'email', ['a@example.com'], ['email']),
    );
    expect(outage).toMatchObject({
      kind: 'unavailable',
      crmCode: 'SERVICE_UNAVAILABLE',
      status: 503,
      retryable: true,
    });
    const refreshDown = await crmError(
      hubspotConnector.refresh(sandbox.endpoints, sandbox.oauthClientOf(portal), 'whatever'),
    );
    expect(refreshDown).toMatchObject({ kind: 'unavailable', status: 503 });
    await sandbox.admin('DELETE', `/_admin/portals/${portal.portalId}/faults`);
    await expect(
      hubspotConnector.findBy(sandbox.sessionOf(portal), 'contacts', 'email', ['a@example.com'], ['email']),
    ).resolves.toEqual([]);

    const closed = Fastify({ logger: false });
    await closed.listen({ host: '127.0.0.1', port: 0 });
    const { port } = closed.server.address() as AddressInfo;
    await closed.close();
    const down: CrmSession = {
      ...sandbox.sessionOf(portal),
      endpoints: { baseUrl: `http://127.0.0.1:${port}`, authorizeBaseUrl: `http://127.0.0.1:${port}` },
    };
    const refused = await crmError(hubspotConnector.describe(down, 'contacts'));
    expect(refused).toMatchObject({ kind: 'unavailable', crmCode: 'ECONNREFUSED' });
  });
});
