import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HookConnection, HookIngest, IncomingEntry } from '../../hooks.ts';
import {
  checkTransition,
  keepMalformedMessage,
  outboundEntries,
  sameOrg,
  type TransitionCheck,
} from './entries.ts';
import {
  MalformedSoapError,
  notificationPayloads,
  type OutboundMessage,
  parseOutboundMessage,
} from './soap.ts';
import { ackEnvelope, soapContentType, soapFault } from './soap-replies.ts';

type ConnectionRow = HookConnection;

/** Salesforce sends at most 100 notifications a message; 2 MB leaves room for wide records. */
export const soapBodyLimit = 2 * 1024 * 1024;

const defaultReferralIdField = 'Refsync_Referral_Id__c';
const logSeverity = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
type LogLevel = (typeof logSeverity)[number];
const isLogLevel = (level: string): level is LogLevel => (logSeverity as readonly string[]).includes(level);

const hookParams = z.object({ connectionId: z.string().max(100), secret: z.string().max(200) });
const transitionQuery = z.object({
  status: z.string().min(1).max(100).describe('The milestone code to move the referral to'),
  field: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe(`Field holding the refsync referral ID (default ${defaultReferralIdField})`),
  feedbackField: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('Field whose text is feedback for the referrer'),
});

function sendFault(reply: FastifyReply, status: number, message: string) {
  return reply
    .code(status)
    .type(soapContentType)
    .send(soapFault(status >= 500 ? 'Server' : 'Client', message));
}

/**
 * Salesforce outbound messages, at a URL per connection that carries its hook secret:
 *
 *   unknown connection or wrong secret -> 401, before the body is read; nothing kept
 *   unreadable SOAP (or a DOCTYPE)     -> 400 fault; raw payload kept as a `failed` entry
 *   OrganizationId of another org      -> 403 fault; nothing kept
 *   otherwise                          -> every notification saved (deduplicated on its
 *                                         Id, processing queued) and only then the ack
 *
 * The ack only says "saved": matching and milestones happen in a job, so Salesforce never
 * waits on them and a redelivery changes nothing.
 */
export const salesforceHookRoutes: FastifyPluginAsyncZod<{ ingest: HookIngest }> = async (
  app,
  { ingest },
) => {
  const hookConnections = new WeakMap<FastifyRequest, ConnectionRow>();

  // The body is taken as text, whatever the content type says: SOAP is parsed by the handler.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: soapBodyLimit }, (_request, body, done) => {
    done(null, body);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendFault(reply, 413, `The message is larger than ${soapBodyLimit} bytes`);
    }
    if (error.validation) return sendFault(reply, 400, error.message);
    request.log.error({ err: error }, 'salesforce hook failed');
    return sendFault(reply, 500, 'The message could not be saved; send it again later');
  });

  app.addHook('onRequest', async (request, reply) => {
    const { connectionId, secret } = request.params as { connectionId?: string; secret?: string };
    const connection =
      connectionId && secret
        ? await ingest.connectionForHookSecret('salesforce', connectionId, secret)
        : undefined;
    if (!connection) return sendFault(reply, 401, 'Unknown hook URL');
    hookConnections.set(request, connection);
    return undefined;
  });

  function connectionOf(request: FastifyRequest): ConnectionRow {
    const connection = hookConnections.get(request);
    if (!connection) throw new Error('hook connection was not resolved');
    return connection;
  }

  /** The parsed message, or the answer already sent when it is unreadable or from another org. */
  async function readMessage(
    request: FastifyRequest,
    reply: FastifyReply,
    source: 'salesforce_outbound' | 'salesforce_transition',
  ): Promise<{ message: OutboundMessage; raw: string } | { replied: FastifyReply }> {
    const connection = connectionOf(request);
    const raw = typeof request.body === 'string' ? request.body : '';
    let message: OutboundMessage;
    try {
      message = parseOutboundMessage(raw);
    } catch (error) {
      if (!(error instanceof MalformedSoapError)) throw error;
      await keepMalformedMessage(ingest, connection, source, raw, error.message);
      request.log.warn({ connectionId: connection.id, reason: error.message }, 'malformed outbound message');
      return { replied: sendFault(reply, 400, `Malformed SOAP: ${error.message}`) };
    }
    if (connection.accountId === null) {
      return { replied: sendFault(reply, 403, 'This connection is not connected to a Salesforce org') };
    }
    if (!sameOrg(message.organizationId, connection.accountId)) {
      request.log.warn(
        { connectionId: connection.id, organizationId: message.organizationId },
        'outbound message from another org',
      );
      return {
        replied: sendFault(
          reply,
          403,
          `OrganizationId ${message.organizationId} is not the org of this connection`,
        ),
      };
    }
    return { message, raw };
  }

  const hookSchema = {
    tags: ['hooks'],
    security: [],
    params: hookParams,
  };
  // The URL carries the hook secret: keep it out of Fastify's per-request info logs (at
  // least warn here, or the configured level when that is quieter still).
  const configured = isLogLevel(ingest.config.logLevel) ? ingest.config.logLevel : 'info';
  const logLevel: LogLevel =
    logSeverity.indexOf(configured) > logSeverity.indexOf('warn') ? configured : 'warn';

  app.post(
    '/hooks/salesforce/:connectionId/:secret',
    {
      logLevel,
      schema: {
        ...hookSchema,
        summary: 'Salesforce outbound messages (SOAP)',
        description:
          'Point a Salesforce outbound message here (GET /api/v1/connections/{id}/hooks gives the URL). ' +
          'Answers the documented <Ack>true</Ack> once every notification is saved.',
      },
    },
    async (request, reply) => {
      const read = await readMessage(request, reply, 'salesforce_outbound');
      if ('replied' in read) return read.replied;
      const connection = connectionOf(request);
      await ingest.record(connection.workspaceId, outboundEntries(connection, read.message, read.raw));
      return reply.code(200).type(soapContentType).send(ackEnvelope);
    },
  );

  app.post(
    '/hooks/salesforce/:connectionId/:secret/transition',
    {
      logLevel,
      schema: {
        ...hookSchema,
        querystring: transitionQuery,
        summary: 'Salesforce outbound messages that move a referral to one milestone',
        description:
          'Each notification names a referral in a field (default Refsync_Referral_Id__c). Unknown referral: ' +
          '404; a status that is not a milestone of its program: 422; both as SOAP faults.',
      },
    },
    async (request, reply) => {
      const read = await readMessage(request, reply, 'salesforce_transition');
      if ('replied' in read) return read.replied;
      const connection = connectionOf(request);
      const transition = {
        status: request.query.status,
        field: request.query.field ?? defaultReferralIdField,
        feedbackField: request.query.feedbackField,
      };
      const checks: TransitionCheck[] = [];
      const payloads = notificationPayloads(read.raw, read.message);
      for (const [i, notification] of read.message.notifications.entries()) {
        checks.push(
          await checkTransition(ingest, connection, notification, transition, payloads[i] ?? read.raw),
        );
      }
      // Good notifications are saved even when another one fails: Salesforce resends the
      // whole message, and the saved ones are then recognized as duplicates.
      const entries: IncomingEntry[] = checks.flatMap((check) => (check.ok ? [check.entry] : []));
      await ingest.record(connection.workspaceId, entries);
      const failed = checks.find((check) => !check.ok);
      if (failed && !failed.ok) return sendFault(reply, failed.status, failed.message);
      return reply.code(200).type(soapContentType).send(ackEnvelope);
    },
  );
};
