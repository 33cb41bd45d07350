import { and, eq } from 'drizzle-orm';
import { findConnection } from '../connections/service.ts';
import type { AppContext } from '../context.ts';
import { membersByIds } from '../members/service.ts';
import { findProgram } from '../programs/service.ts';
import { findMilestoneChange, findReferrals } from '../referrals/service.ts';
import { getReward } from '../rewards/ledger.ts';
import { emailTemplates, notificationSettings, programEmailSettings } from './tables.ts';
import {
  type AdminAlert,
  adminTemplates,
  type ProgramTemplateName,
  programTemplates,
  type Template,
  type Variables,
} from './templates.ts';

/** One email an event causes: who gets it, under which template, with which variables. */
export interface Planned {
  recipient: string;
  template: string;
  from: string;
  content: Template;
  variables: Variables;
  /** Asked for by the recipient (a sign-in link): sent even when they unsubscribed from updates. */
  requested?: boolean;
}

interface EventInput {
  workspaceId: string;
  type: string;
  payload: Record<string, unknown>;
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');

function fromHeader(name: string, address: string): string {
  return `"${name.replace(/["\\\r\n]/g, '')}" <${address}>`;
}

async function programContext(ctx: AppContext, workspaceId: string, programId: string) {
  const program = await findProgram(ctx.db, workspaceId, programId);
  if (!program) return undefined;
  const [settings] = await ctx.db
    .select()
    .from(programEmailSettings)
    .where(eq(programEmailSettings.programId, programId));
  const template = async (name: ProgramTemplateName): Promise<Template> => {
    const [own] = await ctx.db
      .select()
      .from(emailTemplates)
      .where(and(eq(emailTemplates.programId, programId), eq(emailTemplates.template, name)));
    return own ?? programTemplates[name];
  };
  return {
    program,
    from: fromHeader(settings?.fromName ?? program.name, settings?.fromAddress ?? ctx.config.mailFrom),
    notifyReferrer: settings?.notifyReferrer ?? true,
    notifyReferred: settings?.notifyReferred ?? false,
    template,
  };
}

async function memberOf(ctx: AppContext, workspaceId: string, memberId: string) {
  const [member] = await membersByIds(ctx.db, workspaceId, [memberId]);
  return member;
}

async function milestoneEmails(ctx: AppContext, event: EventInput): Promise<Planned[]> {
  const [referral] = await findReferrals(ctx.db, event.workspaceId, null, {
    by: 'ids',
    ids: [text(event.payload.referralId)],
  });
  if (!referral) return [];
  const program = await programContext(ctx, event.workspaceId, referral.programId);
  if (!program) return [];
  const change = await findMilestoneChange(ctx.db, event.workspaceId, text(event.payload.changeId));
  const to = text(event.payload.to);
  const member = referral.memberId ? await memberOf(ctx, event.workspaceId, referral.memberId) : undefined;
  const variables: Variables = {
    'member.firstName': member?.firstName ?? '',
    'member.lastName': member?.lastName ?? '',
    'member.email': member?.email ?? '',
    'referral.firstName': referral.firstName,
    'referral.lastName': referral.lastName,
    'referral.name': [referral.firstName, referral.lastName].filter(Boolean).join(' ') || referral.email,
    'referral.company': referral.company,
    'referral.email': referral.email,
    'milestone.code': to,
    'milestone.label': program.program.milestones.find((m) => m.code === to)?.label ?? to,
    feedback: change?.feedback ?? '',
    'program.name': program.program.name,
  };
  const planned: Planned[] = [];
  if (program.notifyReferrer && member?.email) {
    const template = 'referral.milestone_changed';
    planned.push({
      recipient: member.email,
      template,
      from: program.from,
      content: await program.template(template),
      variables,
    });
  }
  if (program.notifyReferred && referral.email) {
    const template = 'referral.milestone_changed.referred';
    planned.push({
      recipient: referral.email,
      template,
      from: program.from,
      content: await program.template(template),
      variables,
    });
  }
  return planned;
}

/** Minor units as the templates show them: `1250` cents as `12.50`; points as they are. */
function formatAmount(amount: number, currency: string | null): string {
  return currency ? (amount / 100).toFixed(2) : String(amount);
}

/** To whoever the reward is for (the referrer, or the friend of a double-sided rule). */
async function rewardEmails(
  ctx: AppContext,
  event: EventInput,
  template: ProgramTemplateName,
): Promise<Planned[]> {
  const reward = await getReward(ctx.db, event.workspaceId, text(event.payload.rewardId)).catch(
    () => undefined,
  );
  if (!reward?.recipientEmail) return [];
  const program = await programContext(ctx, event.workspaceId, reward.programId);
  if (!program?.notifyReferrer) return [];
  const [firstName = '', ...rest] = (reward.recipientName ?? '').split(' ');
  const variables: Variables = {
    'member.firstName': firstName,
    'member.lastName': rest.join(' '),
    'member.email': reward.recipientEmail,
    'program.name': program.program.name,
    'reward.id': reward.id,
    'reward.amount': formatAmount(reward.amount, reward.currency),
    'reward.currency': reward.currency ?? 'points',
  };
  return [
    {
      recipient: reward.recipientEmail,
      template,
      from: program.from,
      content: await program.template(template),
      variables,
    },
  ];
}

/** A referrer portal sign-in link, to the member who asked (sent even to the unsubscribed: they asked). */
async function signInEmail(ctx: AppContext, event: EventInput): Promise<Planned[]> {
  const member = await memberOf(ctx, event.workspaceId, text(event.payload.memberId));
  if (!member?.email) return [];
  const program = await programContext(ctx, event.workspaceId, member.programId);
  if (!program) return [];
  const template = 'member.sign_in';
  return [
    {
      recipient: member.email,
      template,
      from: program.from,
      requested: true,
      content: await program.template(template),
      variables: {
        'member.firstName': member.firstName ?? '',
        'member.lastName': member.lastName ?? '',
        'member.email': member.email,
        'program.name': program.program.name,
        link: ctx.secrets.open(text(event.payload.link)),
        expiresAt: new Date(text(event.payload.expiresAt)).toUTCString(),
      },
    },
  ];
}

async function adminEmails(
  ctx: AppContext,
  event: EventInput,
  alert: AdminAlert,
  variables: Variables,
): Promise<Planned[]> {
  const [settings] = await ctx.db
    .select()
    .from(notificationSettings)
    .where(eq(notificationSettings.workspaceId, event.workspaceId));
  if (!settings?.alerts.includes(alert)) return [];
  const from = fromHeader('refsync', ctx.config.mailFrom);
  return settings.adminEmails.map((recipient) => ({
    recipient,
    template: `admin.${alert}`,
    from,
    content: adminTemplates[alert],
    variables: { ...variables, reason: text(event.payload.reason) },
  }));
}

/** Short titles of the alert codes, for subjects. */
const alertTitles: Record<string, string> = {
  connection_needs_reauth: 'it needs reconnecting',
  crm_rate_limited: 'the CRM is rate limiting refsync',
  crm_field_missing: 'a field refsync uses is gone from the CRM',
  crm_object_missing: 'an object refsync uses is gone from the CRM',
  events_not_arriving: 'CRM events are not arriving',
};

/** A connection's health alert (raised or cleared), in its own words. */
async function connectionAlertEmails(
  ctx: AppContext,
  event: EventInput,
  alert: 'connection_alert' | 'connection_alert_cleared',
): Promise<Planned[]> {
  const connectionId = text(event.payload.connectionId);
  const connection = await findConnection(ctx.db, connectionId, event.workspaceId);
  if (!connection) return [];
  return adminEmails(ctx, event, alert, {
    'connection.id': connectionId,
    'connection.name': connection.name,
    'connection.url': `${ctx.config.publicUrl}/connections/${encodeURIComponent(connectionId)}`,
    'alert.title': alertTitles[text(event.payload.code)] ?? text(event.payload.code),
    'alert.message': text(event.payload.message),
    'alert.since': new Date(text(event.payload.since)).toUTCString(),
  });
}

/** What each event type sends; `notifiedEvents` in subscriber.ts lists the types the queue takes. */
export const recipes: Record<string, (ctx: AppContext, event: EventInput) => Promise<Planned[]>> = {
  'referral.milestone_changed': milestoneEmails,
  'member.sign_in_requested': signInEmail,
  'reward.created': (ctx, event) => rewardEmails(ctx, event, 'reward.created'),
  'reward.paid': (ctx, event) => rewardEmails(ctx, event, 'reward.paid'),
  'sales_entry.review_needed': (ctx, event) =>
    adminEmails(ctx, event, 'review_needed', {
      'entry.id': text(event.payload.entryId),
      'entry.url': `${ctx.config.publicUrl}/api/v1/sales-entries/${text(event.payload.entryId)}`,
    }),
  'connection.needs_reauth': (ctx, event) =>
    adminEmails(ctx, event, 'connection_needs_reauth', { 'connection.id': text(event.payload.connectionId) }),
  'connection.alert_raised': (ctx, event) => connectionAlertEmails(ctx, event, 'connection_alert'),
  'connection.alert_cleared': (ctx, event) => connectionAlertEmails(ctx, event, 'connection_alert_cleared'),
  'webhook_endpoint.disabled': (ctx, event) =>
    adminEmails(ctx, event, 'webhook_disabled', { 'endpoint.url': text(event.payload.url) }),
  // An empty coupon pool fails its reward with a reason that says so.
  'reward.failed': (ctx, event) =>
    adminEmails(ctx, event, 'reward_failed', { 'reward.id': text(event.payload.rewardId) }),
};
