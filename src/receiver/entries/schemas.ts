import { z } from 'zod';
import { valueIssues } from '../../core/outside-input.ts';
import { pageQuery } from '../../core/pagination.ts';
import { hookSources } from '../../crm/registry.ts';

export const entryStatuses = ['received', 'success', 'ignored', 'review', 'failed'] as const;
/** Entries sent through the API and found by polls, then each CRM's hook sources (from the registry). */
export const entrySources: [string, ...string[]] = ['api', 'poll', ...hookSources];

export const listEntriesQuery = z
  .object({
    status: z.enum(entryStatuses).optional(),
    connectionId: z.string().optional(),
    referralId: z.string().optional(),
    source: z.enum(entrySources).optional(),
    receivedFrom: z.iso.date().optional().describe('Received on or after this day (UTC, YYYY-MM-DD)'),
    receivedTo: z.iso.date().optional().describe('Received on or before this day (UTC, YYYY-MM-DD)'),
    q: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .describe('Text in the record ID, the reason or the fields (an email, a referral code, a status)'),
  })
  .extend(pageQuery);

const triggerSchema = z.object({
  object: z.string(),
  field: z.string(),
  value: z.string(),
  milestone: z.string(),
  allowBackward: z.boolean().optional(),
});

export const salesEntrySchema = z.object({
  id: z.string(),
  connectionId: z.string().nullable(),
  source: z.string(),
  dedupeKey: z.string(),
  status: z.enum(entryStatuses),
  reason: z.string().nullable(),
  objectType: z.string().nullable(),
  recordId: z.string().nullable(),
  fields: z.record(z.string(), z.unknown()),
  receivedFields: z.record(z.string(), z.unknown()),
  occurredAt: z.string().nullable(),
  related: z.record(z.string(), z.record(z.string(), z.unknown()).nullable()).nullable(),
  referralId: z.string().nullable(),
  memberId: z.string().nullable(),
  matchMethod: z.string().nullable(),
  matchScore: z.number().nullable(),
  trigger: triggerSchema.nullable(),
  changes: z.record(z.string(), z.unknown()).nullable(),
  requestedMilestone: z.string().nullable(),
  feedback: z.string().nullable(),
  attempts: z.number(),
  receivedAt: z.string(),
  processedAt: z.string().nullable(),
});

export const salesEntryDetailSchema = salesEntrySchema.extend({
  rawPayload: z
    .string()
    .describe(
      "Exactly what the CRM or caller sent for this entry: the webhook event, the API entry, the polled record, or the Salesforce outbound message with only this entry's notification in it",
    ),
});

export const editEntryBody = z.object({
  fields: z
    .record(z.string().min(1).max(255), z.unknown())
    .superRefine((fields, ctx) => {
      // Edited fields are saved and processed like received ones: the same rule holds.
      for (const issue of valueIssues(fields)) {
        ctx.addIssue({ code: 'custom', message: issue.message, path: [...issue.path] });
      }
    })
    .describe(
      'Replaces the fields the entry is processed with; `receivedFields` keeps what arrived. `Object.Field` keys edit a related record.',
    ),
});

export const bulkRetryBody = z
  .object({
    status: z.enum(['success', 'ignored', 'review', 'failed']).optional(),
    ids: z.array(z.string().min(1)).min(1).max(1000).optional(),
  })
  .describe(
    'Entries to process again: those with this status, these IDs, or both; default every failed entry',
  );

export const reviewBody = z.object({
  decision: z.enum(['approve', 'reject']),
  note: z.string().trim().max(2000).optional(),
});

export const entryCountsSchema = z.object(
  Object.fromEntries(entryStatuses.map((status) => [status, z.number().int()])) as Record<
    (typeof entryStatuses)[number],
    z.ZodNumber
  >,
);
export type EntryCounts = z.infer<typeof entryCountsSchema>;

export type SalesEntryView = z.infer<typeof salesEntrySchema>;
export type ListEntriesQuery = z.infer<typeof listEntriesQuery>;
