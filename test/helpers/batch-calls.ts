import type { FastifyPluginAsync } from 'fastify';
import { expect } from 'vitest';
import { processBatch } from '../../src/receiver/process/batch.ts';
import type { TestApp } from './app.ts';

/**
 * Counts the requests the test server answers whose URL matches `pattern`: the CRM calls a
 * sandbox CRM mounted on it receives. Give `plugin` to `startTestApp` with prefix ''.
 */
export function requestCounter(pattern: RegExp) {
  let count = 0;
  const plugin: FastifyPluginAsync = async (server) => {
    server.addHook('onRequest', async (request) => {
      if (pattern.test(request.url)) count++;
    });
  };
  // The hook applies to the whole server, not to a plugin of its own.
  Object.assign(plugin, { [Symbol.for('skip-override')]: true });
  return { plugin, count: () => count };
}

/**
 * Hands the entries to `processBatch` as one batch, as a worker would, and answers how many
 * counted requests it made; the batch must not ask to be retried.
 */
export async function requestsOfBatch(
  testApp: TestApp,
  workspaceId: string,
  counter: { count: () => number },
  entryIds: string[],
): Promise<number> {
  const before = counter.count();
  const result = await processBatch(
    testApp.app.ctx,
    9,
    entryIds.map((entryId) => ({ workspaceId, entryId })),
  );
  expect(result.retry).toBeUndefined();
  return counter.count() - before;
}
