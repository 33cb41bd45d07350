import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { z } from 'zod';
import { envelopeSchema, eventDataSchemas, webhookEventTypes } from './payloads.ts';

const signatureHeaders = [
  { name: 'webhook-id', description: 'Message ID, the same on every retry: deduplicate on it' },
  { name: 'webhook-timestamp', description: 'Seconds since the epoch when this attempt was signed' },
  {
    name: 'webhook-signature',
    description: 'Space-separated `v1,<base64 HMAC-SHA256>`, one per valid secret (two during a rotation)',
  },
].map((header) => ({ ...header, in: 'header', required: true, schema: { type: 'string' } }));

type OpenApiWebhooks = Extract<
  NonNullable<FastifyDynamicSwaggerOptions['openapi']>,
  { webhooks?: unknown }
>['webhooks'];

/** The OpenAPI 3.1 `webhooks` section: one POST per event type, with its body's JSON schema. */
export function openApiWebhooks(): OpenApiWebhooks {
  const document: Record<string, object> = {};
  for (const type of webhookEventTypes) {
    const data = eventDataSchemas[type] ?? z.record(z.string(), z.unknown());
    document[type] = {
      post: {
        summary: `${type}`,
        description:
          'Signed per Standard Webhooks. Answer 2xx within 15 s; anything else is retried ' +
          'immediately, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h.',
        tags: ['webhooks'],
        parameters: signatureHeaders,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: z.toJSONSchema(envelopeSchema(type, data)) } },
        },
        responses: { '200': { description: 'Received (any 2xx)' } },
      },
    };
  }
  // The section is built from plain JSON schemas, which the OpenAPI types cannot follow.
  return document as OpenApiWebhooks;
}
