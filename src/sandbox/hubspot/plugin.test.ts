import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { clientFor, fetchJson, PREFIX } from '../../../test/helpers/sandbox-hubspot.ts';
import type { SandboxStore } from '../store.ts';
import { hubspotSandbox } from './index.ts';

/** A store that keeps what was saved and counts the writes. */
function recordingStore(): SandboxStore & { saved: () => unknown; saves: () => number } {
  let state: unknown = null;
  let saves = 0;
  return {
    load: () => state,
    save: (_name, value) => {
      state = JSON.parse(JSON.stringify(value));
      saves += 1;
    },
    saved: () => state,
    saves: () => saves,
  };
}

describe('plugin', () => {
  it('stays encapsulated: the host keeps its own 404 and JSON parsing', async () => {
    const app = Fastify({ logger: false });
    app.post('/host/echo', async (request) => ({ got: request.body ?? null }));
    await app.register(hubspotSandbox, { prefix: PREFIX, store: recordingStore() });
    try {
      const hostMissing = await app.inject({ method: 'GET', url: '/host/nowhere' });
      expect(hostMissing.statusCode).toBe(404);
      expect(hostMissing.json()).not.toHaveProperty('correlationId');
      const hostEmpty = await app.inject({
        method: 'POST',
        url: '/host/echo',
        headers: { 'content-type': 'application/json' },
        payload: '',
      });
      // Fastify's own parser refuses an empty JSON body; the sandbox's tolerant one must not leak out.
      expect(hostEmpty.statusCode).toBe(400);
      const sandboxMissing = await app.inject({ method: 'GET', url: `${PREFIX}/nowhere` });
      expect(sandboxMissing.statusCode).toBe(404);
      expect(sandboxMissing.json()).toHaveProperty('correlationId');
    } finally {
      await app.close();
    }
  });

  it('builds absolute links from publicUrl when given', async () => {
    const app = Fastify({ logger: false });
    await app.register(hubspotSandbox, {
      prefix: PREFIX,
      store: recordingStore(),
      publicUrl: 'https://crm.example.test/sandbox/hubspot/',
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = app.server.address() as AddressInfo;
      const base = `http://127.0.0.1:${port}${PREFIX}`;
      const created = await fetchJson(`${base}/_admin/portals`, { method: 'POST' });
      const { accessToken } = created.body as { accessToken: string };
      const client = clientFor(base, accessToken);
      await client.crm.companies.batchApi.create({
        inputs: [
          { properties: { name: 'A' }, associations: [] },
          { properties: { name: 'B' }, associations: [] },
        ],
      });
      const page = await client.crm.companies.basicApi.getPage(1);
      expect(page.paging?.next?.link).toMatch(
        /^https:\/\/crm\.example\.test\/sandbox\/hubspot\/crm\/v3\/objects\/companies\?/,
      );
    } finally {
      await app.close();
    }
  });

  it('writes every change through the store and flushes on close', async () => {
    const store = recordingStore();
    const app = Fastify({ logger: false });
    await app.register(hubspotSandbox, { prefix: PREFIX, store });
    const created = await app.inject({
      method: 'POST',
      url: `${PREFIX}/_admin/portals`,
      payload: { name: 'Flushed' },
    });
    expect(created.statusCode).toBe(201);
    // Closing right away, before the deferred write runs, must still save the new portal.
    await app.close();
    expect(store.saves()).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(store.saved())).toContain('"name":"Flushed"');
  });
});
