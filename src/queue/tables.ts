import { index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt } from '../db/columns.ts';
import { workspaces } from '../workspaces/tables.ts';

/** Domain events, written in the same transaction as the change they describe. */
export const events = pgTable(
  'events',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    type: text('type').notNull(),
    subjectId: text('subject_id').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('events_workspace_idx').on(t.workspaceId, t.id), index('events_subject_idx').on(t.subjectId)],
);
