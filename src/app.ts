import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { captureApiRoutes, captureRoutes } from './capture/index.ts';
import { type Config, ConfigError } from './config.ts';
import { connectionLookupRoutes } from './connections/lookup-routes.ts';
import { oauthCallbackRoutes } from './connections/oauth-callback.ts';
import { connectionRoutes } from './connections/routes.ts';
import type { AppContext } from './context.ts';
import { SecretBox } from './core/crypto.ts';
import { randomString } from './core/ids.ts';
import { createLogger } from './core/logger.ts';
import { Metrics } from './core/metrics.ts';
import { dashboardRoutes } from './dashboard/routes.ts';
import { type Database, openDatabase } from './db/client.ts';
import { runMigrations } from './db/migrate.ts';
import { requireCaller } from './http/auth.ts';
import { serveConsole } from './http/console.ts';
import { answerNotFound, installErrorHandler } from './http/errors.ts';
import { healthRoutes } from './http/health.ts';
import { supportIdempotency } from './http/idempotency.ts';
import { memberRoutes } from './members/routes.ts';
import { MAIL_SANDBOX_PREFIX, mailSandbox } from './notifications/mail-sandbox.ts';
import { notificationRoutes } from './notifications/routes.ts';
import { unsubscribeRoutes } from './notifications/unsubscribe.ts';
import { programRoutes } from './programs/routes.ts';
import { pushRoutes } from './push/routes.ts';
import { JobQueue } from './queue/job-queue.ts';
import { jobRoutes } from './queue/routes.ts';
import type { EventSubscriber } from './queue/subscriber.ts';
import { salesEntryRoutes } from './receiver/entries/routes.ts';
import { ingestApiRoutes } from './receiver/ingest/api-routes.ts';
import { hookRoutes } from './receiver/ingest/hook-routes.ts';
import { sandboxWiringRoutes } from './receiver/ingest/sandbox-wiring.ts';
import { pollerRoutes } from './receiver/poller/routes.ts';
import { startPoller, stopPoller } from './receiver/poller/scheduler.ts';
import { dryRunRoutes } from './receiver/settings/dry-run-routes.ts';
import { receiverSettingsRoutes } from './receiver/settings/routes.ts';
import { referralRoutes } from './referrals/routes.ts';
import { startHoldReleaser, stopHoldReleaser } from './rewards/release.ts';
import { rewardRoutes } from './rewards/routes.ts';
import { sandboxPrefixes } from './sandbox/index.ts';
import { publicAuthRoutes, userRoutes } from './users/routes.ts';
import { startWebhookDeliveries } from './webhooks/delivery.ts';
import { openApiWebhooks } from './webhooks/openapi.ts';
import { webhookRoutes } from './webhooks/routes.ts';
import { workspaceRoutes } from './workspaces/routes.ts';

export interface ExtraPlugin {
  prefix: string;
  plugin: FastifyPluginAsync;
}

export interface BuildOptions {
  config: Config;
  /** An open database; when absent one is opened from `config`. */
  database?: Database;
  /** Queues fed by domain events (capabilities register theirs here). */
  subscribers?: readonly EventSubscriber[];
  /** Mounted as they are (the sandbox CRMs). */
  plugins?: readonly ExtraPlugin[];
  logger?: Logger;
}

export interface RefsyncApp {
  server: FastifyInstance;
  ctx: AppContext;
  /** Stops taking requests, lets running jobs finish (bounded), closes the database. */
  close(): Promise<void>;
}

/**
 * The secret that seals tokens at rest. Embedded installs get one generated into the data
 * folder on first start, so `npm start` needs no setup. On PostgreSQL several processes share
 * the sealed tokens, and a key generated into one machine's working folder would strand them,
 * so REFSYNC_SECRET_KEY must be given.
 */
export function resolveSecretKey(config: Config): string {
  if (config.secretKey) return config.secretKey;
  if (config.databaseUrl) {
    throw new ConfigError('REFSYNC_SECRET_KEY is required with DATABASE_URL');
  }
  const path = join(config.dataDir, 'secret.key');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(config.dataDir, { recursive: true });
  const key = randomString(48, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');
  writeFileSync(path, key, { mode: 0o600 });
  return key;
}

export async function buildApp(options: BuildOptions): Promise<RefsyncApp> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      onConnectionError: (error) => logger.warn({ err: error }, 'database connection lost'),
    }));
  const metrics = new Metrics();
  const queue = new JobQueue({ database, subscribers: options.subscribers ?? [], metrics, logger });
  const ctx: AppContext = {
    config,
    database,
    db: database.db,
    queue,
    metrics,
    logger,
    secrets: new SecretBox(resolveSecretKey(config)),
    // Connections may use this server's own sandbox CRMs, and only when they are mounted here.
    sandboxPaths: (options.plugins ?? [])
      .map((extra) => extra.prefix)
      .filter((prefix) => (Object.values(sandboxPrefixes) as string[]).includes(prefix)),
  };

  const base: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    // X-Forwarded-* decide the client address, scheme and host (and so the URL a HubSpot
    // signature is checked against): believed only from the proxies named in REFSYNC_TRUST_PROXY.
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
  });
  const server = base.withTypeProvider<ZodTypeProvider>();
  server.setValidatorCompiler(validatorCompiler);
  server.setSerializerCompiler(serializerCompiler);
  server.decorateRequest('caller', undefined);
  server.decorateRequest('idempotencyKey', undefined);
  installErrorHandler(base);

  server.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: reply.statusCode,
      },
      reply.elapsedTime / 1000,
    );
  });

  await server.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'refsync API',
        version: '1',
        description: 'Referral programs, members and referrals, and the CRM loop around them.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (rsk_...)' },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'refsync_session',
            description: 'The console session; writes also need its token in X-CSRF-Token',
          },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
      webhooks: openApiWebhooks(),
    },
    transform: jsonSchemaTransform,
  });
  await server.register(swaggerUi, { routePrefix: '/docs', uiConfig: { url: '/api/v1/openapi.json' } });

  await server.register(healthRoutes, { ctx });
  await server.register(oauthCallbackRoutes, { ctx });
  await server.register(hookRoutes, { ctx });
  await server.register(unsubscribeRoutes, { ctx });
  await server.register(captureRoutes, { ctx });
  await server.register(
    async (api) => {
      api.get('/openapi.json', { schema: { hide: true } }, async () => server.swagger());
      await api.register(publicAuthRoutes, { ctx, prefix: '/auth' });
      await api.register(async (secured) => {
        requireCaller(secured, ctx.db, () => config.publicUrl);
        supportIdempotency(secured, ctx.db);
        await secured.register(workspaceRoutes, { ctx });
        await secured.register(userRoutes, { ctx });
        await secured.register(dashboardRoutes, { ctx });
        await secured.register(programRoutes, { ctx });
        await secured.register(memberRoutes, { ctx });
        await secured.register(referralRoutes, { ctx });
        await secured.register(jobRoutes, { ctx });
        await secured.register(connectionRoutes, { ctx });
        await secured.register(connectionLookupRoutes, { ctx });
        await secured.register(sandboxWiringRoutes, { ctx });
        await secured.register(pushRoutes, { ctx });
        await secured.register(receiverSettingsRoutes, { ctx });
        await secured.register(dryRunRoutes, { ctx });
        await secured.register(salesEntryRoutes, { ctx });
        await secured.register(pollerRoutes, { ctx });
        await secured.register(ingestApiRoutes, { ctx });
        await secured.register(rewardRoutes, { ctx });
        await secured.register(webhookRoutes, { ctx });
        await secured.register(notificationRoutes, { ctx });
        await secured.register(captureApiRoutes, { ctx });
      });
    },
    { prefix: '/api/v1' },
  );
  for (const extra of options.plugins ?? []) {
    await server.register(extra.plugin, { prefix: extra.prefix });
  }
  // The outbox shows every workspace's mail: mounted exactly where the sandbox CRMs are.
  if (ctx.sandboxPaths.length > 0) await server.register(mailSandbox, { ctx, prefix: MAIL_SANDBOX_PREFIX });
  serveConsole(base, answerNotFound);

  let closed = false;
  return {
    server: base,
    ctx,
    close: async () => {
      if (closed) return;
      closed = true;
      await server.close();
      await stopPoller(ctx);
      stopHoldReleaser(ctx);
      await queue.stop(config.shutdownTimeoutMs);
      await database.close();
    },
  };
}

/** Brings the database to the current schema and the queue up, before any request or job. */
export async function prepare(app: RefsyncApp, options: { work: boolean }): Promise<void> {
  await runMigrations(app.ctx.database);
  await app.ctx.queue.start();
  await startWebhookDeliveries(app.ctx, options);
  if (options.work) await app.ctx.queue.work(app.ctx);
  if (options.work) await startPoller(app.ctx);
  if (options.work) startHoldReleaser(app.ctx);
}
