import { and, desc, eq } from 'drizzle-orm';
import { getConnection, withCrm } from '../connections/service.ts';
import type { AppContext } from '../context.ts';
import { AppError, notFound, validationFailed } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { CrmError } from '../crm/errors.ts';
import { connectors } from '../crm/registry.ts';
import type { CrmConnector, CrmSession } from '../crm/types.ts';
import type { Db } from '../db/client.ts';
import { uniqueViolation } from '../db/errors.ts';
import { getProgram } from '../programs/service.ts';
import type { CreatePushSettingsInput, UpdatePushSettingsInput } from './schemas.ts';
import { type PushMapping, pushSettings } from './tables.ts';
import { planMappings } from './validate.ts';

export type PushSettingsRow = typeof pushSettings.$inferSelect;

export function toPushSettingsView(row: PushSettingsRow) {
  return {
    id: row.id,
    programId: row.programId,
    connectionId: row.connectionId,
    subject: row.subject,
    enabled: row.enabled,
    crmObject: row.crmObject,
    mappings: row.mappings.map((mapping) => ({
      crmField: mapping.crmField,
      ...(mapping.from === undefined ? {} : { from: mapping.from }),
      ...(mapping.value === undefined ? {} : { value: mapping.value }),
    })),
    systemFields: row.systemFields,
    existingPolicy: row.existingPolicy,
    denyGraceMinutes: row.denyGraceMinutes,
    campaignId: row.campaignId,
    deal: row.deal ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function definedOnly(fields: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).flatMap(([key, value]) => (value ? [[key, value]] : [])));
}

type Candidate = Omit<PushSettingsRow, 'id' | 'workspaceId' | 'createdAt' | 'updatedAt'>;

/**
 * A setting is saved only when it works against the CRM as it is now: the object can be
 * pushed to, every field exists with a fitting type, required fields are mapped, and the
 * policy and extras make sense for this CRM.
 */
async function validate(ctx: AppContext, workspaceId: string, candidate: Candidate): Promise<void> {
  const connection = await getConnection(ctx.db, workspaceId, candidate.connectionId);
  const connector = connectors[connection.provider];
  const program = await getProgram(ctx.db, workspaceId, candidate.programId);
  const issues = [];
  if (!connector.pushObjects.includes(candidate.crmObject)) {
    throw validationFailed([
      {
        field: 'crmObject',
        message: `must be one of ${connector.pushObjects.join(', ')} for ${connection.provider}`,
      },
    ]);
  }
  if (candidate.subject === 'member' && candidate.existingPolicy === 'deny') {
    issues.push({
      field: 'existingPolicy',
      message: 'deny applies to referrals only; members cannot be denied',
    });
  }
  if (candidate.existingPolicy === 'create_duplicate' && !connector.allowsDuplicateEmails) {
    issues.push({
      field: 'existingPolicy',
      message: `${connector.names.crm} does not allow two ${candidate.crmObject} with one email`,
    });
  }
  if (candidate.deal && !connector.createDeal) {
    issues.push({ field: 'deal', message: `${connection.provider} has no deals; remove deal` });
  }
  if (candidate.campaignId && !connector.addToCampaign) {
    issues.push({
      field: 'campaignId',
      message: `${connection.provider} has no campaigns; remove campaignId`,
    });
  }
  if (connection.status !== 'connected') {
    throw new AppError('conflict', `connectionId: the connection is ${connection.status}; connect it first`, {
      details: [{ field: 'connectionId', message: `connection is ${connection.status}` }],
    });
  }
  const { crmFields, campaignIssue } = await withCrm(ctx, connection.id, async (session, crm) => ({
    crmFields: await crm.describe(session, candidate.crmObject),
    campaignIssue: candidate.campaignId
      ? await missingCampaign(session, crm, candidate.campaignId)
      : undefined,
  }));
  const plan = planMappings({
    connector,
    crmObject: candidate.crmObject,
    subject: candidate.subject,
    userMappings: candidate.mappings,
    systemFields: candidate.systemFields,
    crmFields,
    definitions: { referral: program.referralFields, member: program.memberFields },
  });
  issues.push(...plan.issues);
  if (issues.length > 0) throw validationFailed(issues);
  if (campaignIssue) {
    throw new AppError('unprocessable', `campaignId: ${campaignIssue}`, {
      details: [{ field: 'campaignId', message: campaignIssue }],
    });
  }
}

/**
 * A campaign that does not exist would only fail at push time, after the record was
 * created; what the CRM says about the ID is the reason, when it says something.
 */
async function missingCampaign(
  session: CrmSession,
  crm: CrmConnector,
  campaignId: string,
): Promise<string | undefined> {
  if (!crm.addToCampaign || !crm.getRecord) return undefined;
  try {
    const campaign = await crm.getRecord(session, 'Campaign', campaignId, ['Id']);
    return campaign ? undefined : `the CRM has no Campaign with Id ${campaignId}`;
  } catch (error) {
    if (error instanceof CrmError && (error.kind === 'validation' || error.kind === 'not_found')) {
      return `the CRM has no Campaign with Id ${campaignId} (${error.crmCode}: ${error.message})`;
    }
    throw error;
  }
}

function conflictOnDuplicate(error: unknown): never {
  if (uniqueViolation(error) === 'push_settings_program_idx') {
    throw new AppError(
      'conflict',
      'programId: this program already has push settings for this connection and subject',
      {
        details: [
          { field: 'programId', message: 'already has push settings for this connection and subject' },
        ],
      },
    );
  }
  throw error;
}

export async function createPushSettings(
  ctx: AppContext,
  workspaceId: string,
  input: CreatePushSettingsInput,
): Promise<PushSettingsRow> {
  const connection = await getConnection(ctx.db, workspaceId, input.connectionId).catch(() => {
    throw validationFailed([{ field: 'connectionId', message: 'no such connection in this workspace' }]);
  });
  await getProgram(ctx.db, workspaceId, input.programId).catch(() => {
    throw validationFailed([{ field: 'programId', message: 'no such program in this workspace' }]);
  });
  const candidate: Candidate = {
    programId: input.programId,
    connectionId: input.connectionId,
    subject: input.subject,
    enabled: input.enabled,
    crmObject: input.crmObject,
    mappings: input.mappings as PushMapping[],
    systemFields: definedOnly({
      ...connectors[connection.provider].systemFieldNames(input.crmObject),
      ...(input.systemFields ?? {}),
    }),
    existingPolicy: input.existingPolicy,
    denyGraceMinutes: input.denyGraceMinutes,
    campaignId: input.campaignId ?? null,
    deal: input.deal ?? null,
  };
  if (input.subject === 'member') {
    candidate.systemFields = { memberUrl: candidate.systemFields.memberUrl ?? '' };
  }
  await validate(ctx, workspaceId, candidate);
  const [row] = await ctx.db
    .insert(pushSettings)
    .values({ id: newId('pushSettings'), workspaceId, ...candidate })
    .returning()
    .catch(conflictOnDuplicate);
  if (!row) throw new AppError('internal', 'push settings insert returned nothing');
  return row;
}

export async function getPushSettings(db: Db, workspaceId: string, id: string): Promise<PushSettingsRow> {
  const [row] = await db
    .select()
    .from(pushSettings)
    .where(and(eq(pushSettings.id, id), eq(pushSettings.workspaceId, workspaceId)));
  if (!row) throw notFound('Push settings', id);
  return row;
}

export async function listPushSettings(
  db: Db,
  workspaceId: string,
  programId?: string,
): Promise<PushSettingsRow[]> {
  const conditions = [eq(pushSettings.workspaceId, workspaceId)];
  if (programId) conditions.push(eq(pushSettings.programId, programId));
  return db
    .select()
    .from(pushSettings)
    .where(and(...conditions))
    .orderBy(desc(pushSettings.id));
}

export async function updatePushSettings(
  ctx: AppContext,
  workspaceId: string,
  id: string,
  input: UpdatePushSettingsInput,
): Promise<PushSettingsRow> {
  const current = await getPushSettings(ctx.db, workspaceId, id);
  const candidate: Candidate = {
    programId: current.programId,
    connectionId: current.connectionId,
    subject: current.subject,
    enabled: input.enabled ?? current.enabled,
    crmObject: input.crmObject ?? current.crmObject,
    mappings: (input.mappings as PushMapping[] | undefined) ?? current.mappings,
    systemFields: definedOnly({ ...current.systemFields, ...(input.systemFields ?? {}) }),
    existingPolicy: input.existingPolicy ?? current.existingPolicy,
    denyGraceMinutes: input.denyGraceMinutes ?? current.denyGraceMinutes,
    campaignId: input.campaignId === undefined ? current.campaignId : input.campaignId,
    deal: input.deal === undefined ? (current.deal ?? null) : input.deal,
  };
  // Turning a setting off needs no CRM; everything else is checked again.
  const onlyDisabling = Object.keys(input).every((key) => key === 'enabled') && input.enabled === false;
  if (!onlyDisabling) await validate(ctx, workspaceId, candidate);
  const [row] = await ctx.db
    .update(pushSettings)
    .set({ ...candidate, updatedAt: new Date() })
    .where(eq(pushSettings.id, id))
    .returning();
  if (!row) throw notFound('Push settings', id);
  return row;
}

/** The enabled settings a new referral or member of `programId` is pushed through. */
export async function activeSettingsFor(db: Db, programId: string, subject: 'referral' | 'member') {
  return db
    .select()
    .from(pushSettings)
    .where(
      and(
        eq(pushSettings.programId, programId),
        eq(pushSettings.subject, subject),
        eq(pushSettings.enabled, true),
      ),
    );
}
