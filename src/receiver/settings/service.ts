import { and, asc, eq, isNull, type SQL } from 'drizzle-orm';
import { findConnection, getConnection, withCrm } from '../../connections/service.ts';
import type { AppContext } from '../../context.ts';
import { AppError, type FieldIssue, notFound, validationFailed } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { CrmError } from '../../crm/errors.ts';
import type { CrmField } from '../../crm/types.ts';
import type { Db } from '../../db/client.ts';
import { uniqueViolation } from '../../db/errors.ts';
import { getProgram, type ProgramRow } from '../../programs/service.ts';
import { type ReferralDetailField, referralDetailFields } from '../../referrals/schemas.ts';
import { canonicalObject, type EntryOrigin, objectsOf } from '../process/objects.ts';
import { type MatchRule, type ProcessRules, receiverSettings } from '../tables.ts';
import type {
  CreateReceiverSettingsInput,
  ReceiverSettingsView,
  UpdateReceiverSettingsInput,
} from './schemas.ts';
import { triggerValueIssues } from './trigger-values.ts';

export type ReceiverSettingsRow = typeof receiverSettings.$inferSelect;

/** Referral fields a field update may write besides `referral.custom.<key>`. */
export const STANDARD_REFERRAL_FIELDS = referralDetailFields;
export type StandardReferralField = ReferralDetailField;

export function toReceiverSettingsView(row: ReceiverSettingsRow): ReceiverSettingsView {
  return {
    id: row.id,
    programId: row.programId,
    connectionId: row.connectionId,
    enabled: row.enabled,
    statusTriggers: row.statusTriggers.map((trigger) => ({
      object: trigger.object,
      field: trigger.field,
      value: trigger.value,
      milestone: trigger.milestone,
      allowBackward: trigger.allowBackward ?? false,
    })),
    allowOverrideDenied: row.allowOverrideDenied,
    fieldUpdates: row.fieldUpdates,
    updateContactDetails: row.updateContactDetails,
    targetMatch: row.targetMatch,
    fuzzyMatch: row.fuzzyMatch,
    contactMatching: row.contactMatching,
    memberMatch: row.memberMatch,
    processRules: row.processRules,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

type Candidate = Omit<ReceiverSettingsRow, 'id' | 'workspaceId' | 'createdAt' | 'updatedAt'>;

/** Checks one object name for the origin, and returns its one spelling. */
function checkObject(origin: EntryOrigin, name: string, path: string, issues: FieldIssue[]): string {
  const canonical = canonicalObject(origin, name);
  const { names, relatable } = objectsOf(origin);
  if (names.kind === 'known' && !relatable.includes(canonical)) {
    issues.push({ field: path, message: `must be one of ${relatable.join(', ')} for ${origin}` });
  }
  if (names.kind === 'pattern' && !names.pattern.test(canonical)) {
    issues.push({ field: path, message: `must be ${names.description}` });
  }
  return canonical;
}

function checkTarget(program: ProgramRow, target: string, path: string, issues: FieldIssue[]): void {
  const custom = /^referral\.custom\.(.+)$/.exec(target);
  if (custom) {
    const key = custom[1] ?? '';
    if (!program.referralFields.some((definition) => definition.key === key)) {
      const known = program.referralFields.map((definition) => definition.key).join(', ') || 'none';
      issues.push({
        field: path,
        message: `no referral custom field ${key} in the program (known: ${known})`,
      });
    }
    return;
  }
  const standard = /^referral\.([A-Za-z]+)$/.exec(target)?.[1];
  if (!standard || !(STANDARD_REFERRAL_FIELDS as readonly string[]).includes(standard)) {
    issues.push({
      field: path,
      message: `must be referral.<${STANDARD_REFERRAL_FIELDS.join('|')}> or referral.custom.<key>`,
    });
  }
}

/**
 * A setting is saved only when every rule can work: milestones exist in the program, field
 * updates name a referral field, objects are objects of the connection's CRM. Object names
 * are stored in one spelling (`deal` becomes `deals`) so processing compares them directly.
 */
function validate(origin: EntryOrigin, program: ProgramRow, candidate: Candidate): Candidate {
  const issues: FieldIssue[] = [];
  const codes = program.milestones.map((milestone) => milestone.code);
  const statusTriggers = candidate.statusTriggers.map((trigger, index) => {
    if (!codes.includes(trigger.milestone)) {
      issues.push({
        field: `statusTriggers.${index}.milestone`,
        message: `${trigger.milestone} is not a milestone of the program (${codes.join(', ')})`,
      });
    }
    return {
      ...trigger,
      object: checkObject(origin, trigger.object, `statusTriggers.${index}.object`, issues),
    };
  });
  const fieldUpdates = candidate.fieldUpdates.map((update, index) => {
    checkTarget(program, update.target, `fieldUpdates.${index}.target`, issues);
    return { ...update, object: checkObject(origin, update.object, `fieldUpdates.${index}.object`, issues) };
  });
  const rules = (list: MatchRule[], name: string) =>
    list.map((rule, index) => ({
      ...rule,
      object: checkObject(origin, rule.object, `${name}.${index}.object`, issues),
    }));
  const targetMatch = rules(candidate.targetMatch, 'targetMatch');
  const memberMatch = rules(candidate.memberMatch, 'memberMatch');
  if (issues.length > 0) throw validationFailed(issues);
  return { ...candidate, statusTriggers, fieldUpdates, targetMatch, memberMatch };
}

/**
 * With a connected CRM, every object and field the rules name must exist there, and a status
 * trigger on a listed field must name one of its values: a typo would otherwise only show
 * later, as failed entries, a catch-up poll that cannot run, or a trigger that never fires.
 */
async function checkAgainstCrm(
  ctx: AppContext,
  connectionId: string | null,
  candidate: Candidate,
): Promise<void> {
  if (connectionId === null) return;
  const connection = await findConnection(ctx.db, connectionId);
  if (connection?.status !== 'connected') return;
  const named: Array<{ object: string; field: string; path: string }> = [
    ...candidate.statusTriggers.map((rule, index) => ({ ...rule, path: `statusTriggers.${index}.field` })),
    ...candidate.fieldUpdates.map((rule, index) => ({ ...rule, path: `fieldUpdates.${index}.field` })),
    ...candidate.targetMatch.map((rule, index) => ({ ...rule, path: `targetMatch.${index}.field` })),
    ...candidate.memberMatch.map((rule, index) => ({ ...rule, path: `memberMatch.${index}.field` })),
  ];
  const objects = [...new Set(named.map((rule) => rule.object))];
  const issues: FieldIssue[] = [];
  const fieldsOf = new Map<string, Map<string, CrmField> | undefined>();
  await withCrm(ctx, connectionId, async (session, connector) => {
    for (const object of objects) {
      try {
        const fields = await connector.describe(session, object);
        fieldsOf.set(object, new Map(fields.map((field) => [field.name.toLowerCase(), field])));
      } catch (error) {
        if (!(error instanceof CrmError) || (error.kind !== 'not_found' && error.kind !== 'validation'))
          throw error;
        fieldsOf.set(object, undefined);
      }
    }
  });
  for (const rule of named) {
    const fields = fieldsOf.get(rule.object);
    if (!fields) {
      issues.push({
        field: rule.path.replace(/field$/, 'object'),
        message: `the CRM has no object ${rule.object}`,
      });
    } else if (!fields.has(rule.field.toLowerCase())) {
      issues.push({ field: rule.path, message: `${rule.object} has no field ${rule.field}` });
    }
  }
  if (issues.length > 0) throw validationFailed(issues);
  const valueIssues = triggerValueIssues(candidate.statusTriggers, (object, field) =>
    fieldsOf.get(object)?.get(field.toLowerCase()),
  );
  if (valueIssues.length > 0) {
    throw new AppError(
      'unprocessable',
      valueIssues.map((issue) => `${issue.field}: ${issue.message}`).join('; '),
      {
        details: valueIssues,
      },
    );
  }
}

async function originOf(
  ctx: AppContext,
  workspaceId: string,
  connectionId: string | null,
): Promise<EntryOrigin> {
  if (connectionId === null) return 'api';
  const connection = await getConnection(ctx.db, workspaceId, connectionId).catch(() => {
    throw validationFailed([{ field: 'connectionId', message: 'no such connection in this workspace' }]);
  });
  return connection.provider;
}

function duplicate(): AppError {
  return new AppError(
    'conflict',
    'programId: this program already has receiver settings for this connection',
    {
      details: [{ field: 'programId', message: 'already has receiver settings for this connection' }],
    },
  );
}

function conflictOnDuplicate(error: unknown): never {
  if (uniqueViolation(error) === 'receiver_settings_program_idx') throw duplicate();
  throw error;
}

export async function createReceiverSettings(
  ctx: AppContext,
  workspaceId: string,
  input: CreateReceiverSettingsInput,
): Promise<ReceiverSettingsRow> {
  const program = await getProgram(ctx.db, workspaceId, input.programId).catch(() => {
    throw validationFailed([{ field: 'programId', message: 'no such program in this workspace' }]);
  });
  const origin = await originOf(ctx, workspaceId, input.connectionId);
  // The unique index treats null connections as distinct: API settings are checked here.
  if (input.connectionId === null) {
    const existing = await settingsFor(ctx.db, workspaceId, null, false);
    if (existing.some((row) => row.programId === program.id)) throw duplicate();
  }
  const candidate = validate(origin, program, {
    programId: program.id,
    connectionId: input.connectionId,
    enabled: input.enabled,
    statusTriggers: input.statusTriggers,
    allowOverrideDenied: input.allowOverrideDenied,
    fieldUpdates: input.fieldUpdates,
    updateContactDetails: input.updateContactDetails,
    targetMatch: input.targetMatch,
    fuzzyMatch: input.fuzzyMatch,
    contactMatching: input.contactMatching,
    memberMatch: input.memberMatch,
    processRules: input.processRules,
  });
  await checkAgainstCrm(ctx, input.connectionId, candidate);
  const [row] = await ctx.db
    .insert(receiverSettings)
    .values({ id: newId('receiverSettings'), workspaceId, ...candidate })
    .returning()
    .catch(conflictOnDuplicate);
  if (!row) throw new AppError('internal', 'receiver settings insert returned nothing');
  return row;
}

export async function getReceiverSettings(
  db: Db,
  workspaceId: string,
  id: string,
): Promise<ReceiverSettingsRow> {
  const [row] = await db
    .select()
    .from(receiverSettings)
    .where(and(eq(receiverSettings.id, id), eq(receiverSettings.workspaceId, workspaceId)));
  if (!row) throw notFound('Receiver settings', id);
  return row;
}

export async function listReceiverSettings(
  db: Db,
  workspaceId: string,
  filter: { programId?: string | undefined; connectionId?: string | undefined },
): Promise<ReceiverSettingsRow[]> {
  const conditions: SQL[] = [eq(receiverSettings.workspaceId, workspaceId)];
  if (filter.programId) conditions.push(eq(receiverSettings.programId, filter.programId));
  if (filter.connectionId) conditions.push(eq(receiverSettings.connectionId, filter.connectionId));
  return db
    .select()
    .from(receiverSettings)
    .where(and(...conditions))
    .orderBy(asc(receiverSettings.id));
}

export async function updateReceiverSettings(
  ctx: AppContext,
  workspaceId: string,
  id: string,
  input: UpdateReceiverSettingsInput,
): Promise<ReceiverSettingsRow> {
  const current = await getReceiverSettings(ctx.db, workspaceId, id);
  const program = await getProgram(ctx.db, workspaceId, current.programId);
  const origin = await originOf(ctx, workspaceId, current.connectionId);
  const candidate = validate(origin, program, {
    programId: current.programId,
    connectionId: current.connectionId,
    enabled: input.enabled ?? current.enabled,
    statusTriggers: input.statusTriggers ?? current.statusTriggers,
    allowOverrideDenied: input.allowOverrideDenied ?? current.allowOverrideDenied,
    fieldUpdates: input.fieldUpdates ?? current.fieldUpdates,
    updateContactDetails: input.updateContactDetails ?? current.updateContactDetails,
    targetMatch: input.targetMatch ?? current.targetMatch,
    fuzzyMatch: input.fuzzyMatch ?? current.fuzzyMatch,
    contactMatching: input.contactMatching ?? current.contactMatching,
    memberMatch: input.memberMatch ?? current.memberMatch,
    processRules: mergeRules(current.processRules, input.processRules ?? {}),
  });
  await checkAgainstCrm(ctx, candidate.connectionId, candidate);
  const [row] = await ctx.db
    .update(receiverSettings)
    .set({ ...candidate, updatedAt: new Date() })
    .where(eq(receiverSettings.id, id))
    .returning();
  if (!row) throw notFound('Receiver settings', id);
  return row;
}

function mergeRules(
  current: ProcessRules,
  given: { [K in keyof ProcessRules]?: boolean | undefined },
): ProcessRules {
  return {
    autoProcessDirect: given.autoProcessDirect ?? current.autoProcessDirect,
    autoProcessFuzzy: given.autoProcessFuzzy ?? current.autoProcessFuzzy,
    reviewWhenNoMemberMatch: given.reviewWhenNoMemberMatch ?? current.reviewWhenNoMemberMatch,
    reviewDeniedToPositive: given.reviewDeniedToPositive ?? current.reviewDeniedToPositive,
    notifyOnReview: given.notifyOnReview ?? current.notifyOnReview,
  };
}

/** The enabled (or all) settings an entry of `connectionId` (null: the API) is processed with. */
export async function settingsFor(
  db: Db,
  workspaceId: string,
  connectionId: string | null,
  enabledOnly = true,
): Promise<ReceiverSettingsRow[]> {
  const conditions: SQL[] = [
    eq(receiverSettings.workspaceId, workspaceId),
    connectionId === null
      ? isNull(receiverSettings.connectionId)
      : eq(receiverSettings.connectionId, connectionId),
  ];
  if (enabledOnly) conditions.push(eq(receiverSettings.enabled, true));
  return db
    .select()
    .from(receiverSettings)
    .where(and(...conditions))
    .orderBy(asc(receiverSettings.id));
}
