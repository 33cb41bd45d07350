import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInvitation, invitationUrl, ownerLinkIfNeeded } from '../src/users/service.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { SessionClient, signedInUser, signIn } from './helpers/console.ts';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp();
});
afterAll(async () => {
  await testApp?.close();
});

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

describe('console sign-in and sessions', () => {
  it('signs in with the right password into an HttpOnly SameSite cookie, and refuses a wrong one', async () => {
    const { email, password } = await signedInUser(testApp, 'admin');
    const wrong = await signIn(testApp.url, email, 'not the password');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({
      error: { code: 'unauthorized', message: 'The email or password is wrong' },
    });
    expect(wrong.headers.get('set-cookie')).toBeNull();

    const right = await signIn(testApp.url, email.toUpperCase(), password);
    expect(right.status).toBe(200);
    const cookie = right.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^refsync_session=[A-Za-z0-9]{40}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+/);
    expect(right.body).toMatchObject({ user: { email, role: 'admin' }, csrfToken: expect.any(String) });
    const me = await right.client?.request<{ user: { email: string } }>('GET', '/api/v1/auth/session');
    expect(me?.body.user.email).toBe(email);
  });

  it('refuses cookie writes without the CSRF token or from another origin, and signs out', async () => {
    const { client } = await signedInUser(testApp, 'admin');
    const noToken = await client.request<ErrorBody>('POST', '/api/v1/programs', {
      body: { name: 'X' },
      csrf: null,
    });
    expect(noToken.status).toBe(403);
    expect(noToken.body.error.message).toMatch(/X-CSRF-Token/);
    const badToken = await client.request<ErrorBody>('POST', '/api/v1/programs', {
      body: { name: 'X' },
      csrf: 'nope',
    });
    expect(badToken.status).toBe(403);
    const foreign = await client.request<ErrorBody>('POST', '/api/v1/programs', {
      body: { name: 'X' },
      origin: 'https://evil.example',
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.message).toMatch(/evil\.example/);
    const made = await client.request('POST', '/api/v1/programs', { body: { name: 'Partners' } });
    expect(made.status).toBe(201);

    const out = await client.request('POST', '/api/v1/auth/sign-out');
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/refsync_session=; .*Max-Age=0/);
    const after = await client.request<ErrorBody>('GET', '/api/v1/programs');
    expect(after.status).toBe(401);
    expect(after.body.error.message).toBe('Your session has ended; sign in again');
  });

  it('lets a viewer read but refuses their writes with 403', async () => {
    const admin = await signedInUser(testApp, 'admin');
    const viewer = await signedInUser(testApp, 'viewer', admin.workspaceId);
    expect((await admin.client.request('POST', '/api/v1/programs', { body: { name: 'Main' } })).status).toBe(
      201,
    );
    const list = await viewer.client.request<{ data: unknown[] }>('GET', '/api/v1/programs');
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    const write = await viewer.client.request<ErrorBody>('POST', '/api/v1/programs', {
      body: { name: 'Nope' },
    });
    expect(write.status).toBe(403);
    expect(write.body.error).toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/Viewers can only look/),
    });
    const invite = await viewer.client.request('POST', '/api/v1/invitations', {
      body: { email: 'x@example.com', role: 'admin' },
    });
    expect(invite.status).toBe(403);
    // A viewer still changes their own password and signs out.
    const password = await viewer.client.request('POST', '/api/v1/auth/password', {
      body: { currentPassword: viewer.password, newPassword: 'another long password' },
    });
    expect(password.status).toBe(204);
    expect((await signIn(testApp.url, viewer.email, 'another long password')).status).toBe(200);
  });

  it('throttles password guessing per account', async () => {
    const { email, password } = await signedInUser(testApp, 'admin');
    for (let i = 0; i < 5; i++) expect((await signIn(testApp.url, email, `wrong ${i}`)).status).toBe(401);
    const blocked = await signIn(testApp.url, email, password);
    expect(blocked.status).toBe(429);
    expect(blocked.body).toMatchObject({
      error: { code: 'rate_limited', message: expect.stringMatching(/Too many failed sign-ins/) },
    });
  });

  it('changing a password checks the current one and names the field', async () => {
    const { client } = await signedInUser(testApp, 'admin');
    const wrong = await client.request<ErrorBody>('POST', '/api/v1/auth/password', {
      body: { currentPassword: 'nope', newPassword: 'a brand new password' },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details).toEqual([{ field: 'currentPassword', message: 'is wrong' }]);
    const short = await client.request<ErrorBody>('POST', '/api/v1/auth/password', {
      body: { currentPassword: 'correct horse battery', newPassword: 'short' },
    });
    expect(short.status).toBe(400);
    expect(short.body.error.details).toEqual([
      { field: 'newPassword', message: 'must be at least 10 characters' },
    ]);
  });
});

describe('one-time links', () => {
  it("the owner's link sets a password once, then signs in", async () => {
    const workspace = await testApp.newWorkspace('Owned');
    const token = await ownerLinkIfNeeded(testApp.app.ctx.db, workspace.id);
    expect(token).toBeDefined();
    const open = await testApp.anonymous.post<{ email: null; role: string; workspace: string }>(
      '/api/v1/auth/welcome/open',
      {
        token,
      },
    );
    expect(open.body).toMatchObject({ email: null, role: 'admin', workspace: 'Owned' });
    const accepted = await testApp.anonymous.post<{ user: { email: string; role: string } }>(
      '/api/v1/auth/welcome',
      {
        token,
        email: 'Owner@Example.com',
        password: 'the owner password',
      },
    );
    expect(accepted.status).toBe(200);
    expect(accepted.body.user).toMatchObject({ email: 'owner@example.com', role: 'admin' });
    expect(accepted.headers.get('set-cookie')).toMatch(/^refsync_session=/);
    const again = await testApp.anonymous.post<ErrorBody>('/api/v1/auth/welcome', {
      token,
      email: 'other@example.com',
      password: 'the owner password',
    });
    expect(again.status).toBe(404);
    expect(again.body.error.message).toMatch(/links work once and expire/);
    expect(await ownerLinkIfNeeded(testApp.app.ctx.db, workspace.id)).toBeUndefined();
  });

  it('an admin invites by link; the invited person gets the role; other workspaces see nothing', async () => {
    const admin = await signedInUser(testApp, 'admin');
    const invited = await admin.client.request<{ url: string; email: string }>(
      'POST',
      '/api/v1/invitations',
      {
        body: { email: 'new.person@example.com', role: 'viewer' },
      },
    );
    expect(invited.status).toBe(201);
    expect(invited.body.url).toMatch(new RegExp(`^${testApp.url}/welcome#token=[A-Za-z0-9]{40}$`));
    const token = invited.body.url.split('#token=')[1];
    const accepted = await testApp.anonymous.post<{ user: { role: string } }>('/api/v1/auth/welcome', {
      token,
      password: 'viewer password 1',
    });
    expect(accepted.body.user.role).toBe('viewer');
    const users = await admin.client.request<{ data: Array<{ email: string; role: string }> }>(
      'GET',
      '/api/v1/users',
    );
    expect(users.body.data.map((user) => [user.email, user.role])).toContainEqual([
      'new.person@example.com',
      'viewer',
    ]);

    const stranger = await signedInUser(testApp, 'admin');
    const strangerView = await stranger.client.request<{ data: Array<{ email: string }> }>(
      'GET',
      '/api/v1/users',
    );
    expect(strangerView.body.data.map((user) => user.email)).toEqual([stranger.email]);
    const target = users.body.data.find((user) => user.email === 'new.person@example.com') as unknown as {
      id: string;
    };
    expect((await stranger.client.request('DELETE', `/api/v1/users/${target.id}`)).status).toBe(404);
  });

  it('keeps the last admin: it can be neither demoted nor removed', async () => {
    const admin = await signedInUser(testApp, 'admin');
    const me = await admin.client.request<{ user: { id: string } }>('GET', '/api/v1/auth/session');
    const demote = await admin.client.request<ErrorBody>('PATCH', `/api/v1/users/${me.body.user.id}`, {
      body: { role: 'viewer' },
    });
    expect(demote.status).toBe(409);
    expect(demote.body.error.message).toMatch(/last admin/);
  });

  it('an invitation link for a taken email is refused up front', async () => {
    const admin = await signedInUser(testApp, 'admin');
    await expect(
      createInvitation(testApp.app.ctx.db, admin.workspaceId, {
        email: admin.email,
        role: 'viewer',
        createdBy: 'cli',
      }),
    ).rejects.toThrow(/already has an account/);
    expect(invitationUrl('http://x:1/', 'abc')).toBe('http://x:1/welcome#token=abc');
  });
});

describe('the console is served without shadowing anything', () => {
  it('serves index.html for console pages and JSON 404s for unknown API paths', async () => {
    const page = await fetch(`${testApp.url}/referrals/ref_123`, { headers: { accept: 'text/html' } });
    expect([200, 503]).toContain(page.status);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const api = await fetch(`${testApp.url}/api/v1/nothing-here`, { headers: { accept: 'text/html' } });
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: { code: 'not_found' } });
    const health = await fetch(`${testApp.url}/healthz`, { headers: { accept: 'text/html' } });
    expect(health.status).toBe(200);
    expect(health.headers.get('content-type')).toMatch(/json/);
    const docs = await fetch(`${testApp.url}/docs/nothing`, { headers: { accept: 'text/html' } });
    expect(docs.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
  });

  it('a session cookie never stands in for another user: an unknown cookie is a 401', async () => {
    const stranger = new SessionClient(testApp.url, 'refsync_session=forged', 'x');
    expect((await stranger.request('GET', '/api/v1/programs')).status).toBe(401);
  });
});
