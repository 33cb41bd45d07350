import { sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Gauge } from 'prom-client';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { queryRows } from '../db/client.ts';
import { appliedMigrationCount, expectedMigrationCount } from '../db/migrate.ts';

const tags = ['operations'];

const readiness = z.object({
  status: z.enum(['ready', 'not_ready']),
  database: z.string(),
  migrations: z.object({ applied: z.number(), expected: z.number() }),
});

/** `/healthz` says the process answers; `/readyz` that it can do work; `/metrics` for Prometheus. */
export const healthRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const expected = expectedMigrationCount();

  new Gauge({
    name: 'refsync_jobs',
    help: 'Jobs in the queue, by queue and state (read from the database at scrape time)',
    labelNames: ['queue', 'state'] as const,
    registers: [ctx.metrics.registry],
    async collect() {
      this.reset();
      const rows = await queryRows<{ name: string; state: string; count: number }>(
        ctx.db,
        sql`select name, state::text as state, count(*)::int as count from pgboss.job group by name, state`,
      ).catch(() => []);
      for (const row of rows) this.set({ queue: row.name, state: row.state }, row.count);
    },
  });

  app.get(
    '/healthz',
    { schema: { tags, security: [], response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    { schema: { tags, security: [], response: { 200: readiness, 503: readiness } } },
    async (_request, reply) => {
      let applied = 0;
      let database = 'ok';
      try {
        applied = await appliedMigrationCount(ctx.database);
      } catch (error) {
        database = `unreachable: ${(error as Error).message}`;
      }
      const ready = database === 'ok' && applied === expected;
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not_ready', database, migrations: { applied, expected } });
    },
  );

  app.get('/metrics', { schema: { tags, security: [] } }, async (_request, reply) => {
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
};
