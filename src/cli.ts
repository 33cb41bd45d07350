import { parseArgs } from 'node:util';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { buildApp, prepare, type RefsyncApp } from './app.ts';
import { ConfigError, isLoopbackHost, loadConfig } from './config.ts';
import { AppError } from './core/errors.ts';
import { createLogger } from './core/logger.ts';
import { openDatabase } from './db/client.ts';
import { DataDirLockedError } from './db/data-dir-lock.ts';
import { runMigrations } from './db/migrate.ts';
import { sandboxPlugins, sandboxPrefixes } from './sandbox/index.ts';
import { fileSandboxStore } from './sandbox/store.ts';
import { subscribers } from './subscribers.ts';
import { createInvitation, invitationUrl, ownerLinkIfNeeded, ownerLinkLifetimeMs } from './users/service.ts';
import { userRoles } from './users/tables.ts';
import { bootstrapWorkspace, createApiKey, createWorkspace, getWorkspace } from './workspaces/service.ts';

const environmentHelp = `Environment:
  PORT, HOST                  where to listen (default 127.0.0.1:3000)
  DATABASE_URL                PostgreSQL; without it, embedded PGlite in REFSYNC_DATA_DIR
  REFSYNC_DATA_DIR            data folder (default ./.refsync)
  REFSYNC_SECRET_KEY          encrypts CRM tokens; required with DATABASE_URL (embedded: generated
                              into the data folder when absent)
  REFSYNC_PUBLIC_URL          how others reach this server (OAuth callbacks, webhooks)
  REFSYNC_BOOTSTRAP_API_KEY   the first workspace's API key, for automation
  REFSYNC_SANDBOX             1/0: mount the sandbox CRMs (default 1 only when embedded on a
                              loopback HOST; their admin APIs have no authentication)
  REFSYNC_PAYOUT_BASE_URLS    payout base URLs besides the real Stripe and Tremendous (comma-separated)
  REFSYNC_TRUST_PROXY         proxy IPs/CIDRs whose X-Forwarded-* headers are believed (default none)
  REFSYNC_LOG_LEVEL           fatal, error, warn, info (default), debug, trace, silent`;

const commands: Record<string, { summary: string; usage: string; run(args: string[]): Promise<void> }> = {
  start: {
    summary: 'API and worker in one process (the default)',
    usage:
      'refsync start\n\nStarts the HTTP API and the job workers, applies migrations, and creates a first\nworkspace (printing its API key once) when the database has none.',
    run: () => serve({ work: true, listen: true }),
  },
  worker: {
    summary: 'job workers only, no HTTP',
    usage: 'refsync worker\n\nRuns background jobs only. Start as many as you like against one PostgreSQL.',
    run: () => serve({ work: true, listen: false }),
  },
  migrate: {
    summary: 'apply database migrations and exit',
    usage: 'refsync migrate\n\nApplies pending migrations to the configured database and exits.',
    run: async () => {
      const config = loadConfig();
      const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        await runMigrations(database);
        console.log(
          `Migrations applied (${database.kind === 'pglite' ? `PGlite in ${config.dataDir}` : 'PostgreSQL'}).`,
        );
      } finally {
        await database.close();
      }
    },
  },
  sandbox: {
    summary: 'the sandbox CRMs alone (local Salesforce and HubSpot)',
    usage:
      'refsync sandbox [--port N] [--host H]\n\nServes the sandbox Salesforce at /sandbox/salesforce and HubSpot at /sandbox/hubspot,\n' +
      'without refsync itself. State is kept in REFSYNC_DATA_DIR/sandbox/. Default port 3100, host\n' +
      '127.0.0.1: their admin APIs have no authentication, so give --host only on a trusted network.',
    run: async (args) => {
      const { values } = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' } } });
      const port = Number(values.port ?? 3100);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError('--port takes a port number');
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      const host = values.host ?? '127.0.0.1';
      if (!isLoopbackHost(host)) {
        logger.warn(
          { host },
          'the sandbox CRMs listen beyond this machine and their admin APIs have NO authentication: ' +
            'anyone who can reach this port can read their credentials and point their outbound ' +
            'messages and webhooks anywhere',
        );
      }
      const server = Fastify({
        loggerInstance: logger as FastifyBaseLogger,
        trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
      });
      for (const sandbox of sandboxPlugins(fileSandboxStore(config.dataDir))) {
        await server.register(sandbox.plugin, { prefix: sandbox.prefix });
      }
      const stop = async () => {
        await server.close();
        process.exit(0);
      };
      process.once('SIGTERM', () => void stop());
      process.once('SIGINT', () => void stop());
      await server.listen({ port, host });
      const address = server.server.address();
      const base = address && typeof address === 'object' ? `http://${address.address}:${address.port}` : '';
      process.stdout.write(
        `Sandbox CRMs are running:\n  Salesforce: ${base}${sandboxPrefixes.salesforce}\n  HubSpot:    ${base}${sandboxPrefixes.hubspot}\n` +
          `Payment sandboxes (list them in REFSYNC_PAYOUT_BASE_URLS of the refsync that pays through them):\n` +
          `  Stripe:     ${base} (admin: ${base}${sandboxPrefixes.stripe})\n  Tremendous: ${base}${sandboxPrefixes.tremendous}/api/v2\n`,
      );
    },
  },
  'workspace-create': {
    summary: 'create a workspace and print its first API key',
    usage: 'refsync workspace-create --name <name>\n\nCreates a workspace and prints its API key once.',
    run: async (args) => {
      const { values } = parseArgs({ args, options: { name: { type: 'string' } } });
      if (!values.name) throw new UsageError('--name is required');
      const config = loadConfig();
      const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        await runMigrations(database);
        const workspace = await createWorkspace(database.db, values.name);
        const { key } = await createApiKey(database.db, workspace.id, 'created by refsync workspace-create');
        const owner = await ownerLinkIfNeeded(database.db, workspace.id);
        console.log(`Workspace ${workspace.id} (${workspace.name})\nAPI key (shown once): ${key}`);
        if (owner)
          console.log(`Owner's password (one-time link, 24 h): ${invitationUrl(config.publicUrl, owner)}`);
      } finally {
        await database.close();
      }
    },
  },
  'user-create': {
    summary: 'print a one-time link that creates a console user',
    usage:
      'refsync user-create --email <email> [--role admin|viewer] [--workspace <id>]\n\n' +
      'Prints a one-time link (valid 24 h) where that person sets their password and signs in.\n' +
      'Default role admin, default workspace the first one (created, with its API key printed,\nwhen the database has none). Links use REFSYNC_PUBLIC_URL.',
    run: async (args) => {
      const { values } = parseArgs({
        args,
        options: { email: { type: 'string' }, role: { type: 'string' }, workspace: { type: 'string' } },
      });
      if (!values.email || !/^[^@\s]+@[^@\s]+$/.test(values.email))
        throw new UsageError('--email takes an email address');
      const role = values.role ?? 'admin';
      if (!isRole(role)) throw new UsageError('--role is admin or viewer');
      const config = loadConfig();
      const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        await runMigrations(database);
        let workspaceId = values.workspace;
        if (workspaceId) await getWorkspace(database.db, workspaceId);
        else {
          const boot = await bootstrapWorkspace(database.db, config.bootstrapApiKey);
          workspaceId = boot.workspace.id;
          if (boot.key)
            console.log(`Created workspace ${workspaceId}.\nAPI key (shown once, keep it): ${boot.key}`);
        }
        const { token } = await createInvitation(database.db, workspaceId, {
          email: values.email,
          role,
          createdBy: 'cli',
          lifetimeMs: ownerLinkLifetimeMs,
        });
        console.log(
          `${values.email} (${role}) sets a password here (one-time link, 24 h):\n${invitationUrl(config.publicUrl, token)}`,
        );
      } finally {
        await database.close();
      }
    },
  },
};

function isRole(value: string): value is (typeof userRoles)[number] {
  return (userRoles as readonly string[]).includes(value);
}

class UsageError extends AppError {
  constructor(message: string) {
    super('usage', message, { forCaller: false });
    this.name = 'UsageError';
  }
}

function mainHelp(): string {
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(18)} ${command.summary}`);
  return `Usage: refsync [command] [--help]\n\nCommands:\n${lines.join('\n')}\n\n${environmentHelp}`;
}

async function serve(mode: { work: boolean; listen: boolean }): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  if (mode.listen && config.sandboxWarning) logger.warn(config.sandboxWarning);
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    onConnectionError: (error) => logger.warn({ err: error }, 'database connection lost'),
  });
  let app: RefsyncApp | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new requests, waiting for running jobs');
    try {
      if (app) await app.close();
      else await database.close();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  app = await buildApp({
    config,
    database,
    logger,
    subscribers,
    plugins: mode.listen && config.sandbox ? sandboxPlugins(fileSandboxStore(config.dataDir)) : [],
  });
  await prepare(app, { work: mode.work });
  if (!mode.listen) {
    logger.info({ queues: app.ctx.queue.queues }, 'worker started');
    return;
  }
  const boot = await bootstrapWorkspace(app.ctx.db, config.bootstrapApiKey);
  await app.server.listen({ port: config.port, host: config.host });
  const address = app.server.server.address();
  const url =
    address && typeof address === 'object'
      ? `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
      : config.publicUrl;
  if (!config.publicUrlGiven && config.port === 0) config.publicUrl = url;
  const storage = database.kind === 'pglite' ? `PGlite in ${config.dataDir}` : 'PostgreSQL';
  const lines = [`refsync is running on ${url} (${storage})`, `  API docs: ${url}/docs`];
  if (boot.created) {
    lines.push(`  Created workspace ${boot.workspace.id}.`);
    lines.push(
      boot.key
        ? `  API key (shown once, keep it): ${boot.key}`
        : '  Its API key is REFSYNC_BOOTSTRAP_API_KEY.',
    );
  }
  const owner = await ownerLinkIfNeeded(app.ctx.db, boot.workspace.id);
  lines.splice(1, 0, `  Console: ${url}/`);
  if (owner) {
    lines.push(
      `  Set the owner's password (one-time link, valid 24 h): ${invitationUrl(config.publicUrl, owner)}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    console.log(mainHelp());
    return;
  }
  const name = first === undefined || first.startsWith('-') ? 'start' : first;
  const args = first === undefined || first.startsWith('-') ? argv : rest;
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command ${name}`);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`Usage: ${command.usage}\n\n${environmentHelp}`);
    return;
  }
  await command.run(args);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`refsync: ${error.message}\n\n${mainHelp()}`);
    process.exit(2);
  }
  if (error instanceof ConfigError || error instanceof DataDirLockedError) {
    console.error(`refsync: ${error.message}`);
    process.exit(1);
  }
  console.error('refsync: failed to start:', error);
  process.exit(1);
});
