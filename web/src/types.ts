/**
 * The console's view of the API: every type comes from the server's own zod schemas
 * (`import type`, erased from the bundle), so a field is never described twice.
 */
export type { Page } from '../../src/core/pagination.ts';
export type { DashboardView } from '../../src/dashboard/schemas.ts';
export type { MemberView } from '../../src/members/schemas.ts';
export type { CreateProgramInput, ProgramView } from '../../src/programs/schemas.ts';
export type { MilestoneChangeView, ReferralView } from '../../src/referrals/schemas.ts';
export type {
  CreatedInvitationView,
  InvitationView,
  SessionView,
  UserView,
  WelcomeView,
} from '../../src/users/schemas.ts';
export type { ApiKeyView, CreatedApiKeyView } from '../../src/workspaces/schemas.ts';

import type { z } from 'zod';
import type { customFieldSchema, milestoneSchema } from '../../src/programs/schemas.ts';
import type { referralDetailSchema } from '../../src/referrals/schemas.ts';

export type Milestone = z.infer<typeof milestoneSchema>;
export type CustomField = z.input<typeof customFieldSchema>;
export type ReferralDetail = z.infer<typeof referralDetailSchema>;

// The CRM side: sales entries, the push log, jobs, connections.
export type { ConnectionView } from '../../src/connections/service.ts';
export type { JobView } from '../../src/queue/jobs-service.ts';
export type { EntryCounts, SalesEntryView } from '../../src/receiver/entries/schemas.ts';

import type { pushLogSchema } from '../../src/push/schemas.ts';
import type { salesEntryDetailSchema } from '../../src/receiver/entries/schemas.ts';

export type SalesEntryDetail = z.infer<typeof salesEntryDetailSchema>;
export type PushLogView = z.infer<typeof pushLogSchema>;

// The settings editors: push settings, receiver settings and the dry run.
export type { ReceiverSettingsView } from '../../src/receiver/settings/schemas.ts';

import type { pushSettingsSchema } from '../../src/push/schemas.ts';
import type { dryRunResultSchema } from '../../src/receiver/settings/dry-run-routes.ts';

export type PushSettingsView = z.infer<typeof pushSettingsSchema>;
export type DryRunResult = z.infer<typeof dryRunResultSchema>;
