import { eq } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { AppError } from '../core/errors.ts';
import type { Db } from '../db/client.ts';
import { getProgram } from '../programs/service.ts';
import type { RewardSettingsInput, RewardSettingsView } from './schemas.ts';
import { rewardSettings } from './tables.ts';

export type RewardSettingsRow = typeof rewardSettings.$inferSelect;

const realStripe = 'https://api.stripe.com';
const realTremendous = ['https://api.tremendous.com/api/v2', 'https://testflight.tremendous.com/api/v2'];

const trim = (url: string) => url.replace(/\/+$/, '');

/**
 * Payout credentials are only ever sent to the real services, to this server's own sandboxes
 * (when mounted) or to base URLs the operator lists (`REFSYNC_PAYOUT_BASE_URLS`): an
 * arbitrary host would receive a live API key.
 */
export function allowedPayoutUrls(ctx: AppContext): { stripe: string[]; tremendous: string[] } {
  const own = ctx.config.sandbox ? trim(ctx.config.publicUrl) : undefined;
  const listed = ctx.config.payoutBaseUrls;
  return {
    stripe: [realStripe, ...(own ? [own] : []), ...listed],
    tremendous: [...realTremendous, ...(own ? [`${own}/sandbox/tremendous/api/v2`] : []), ...listed],
  };
}

function checkUrl(field: string, url: string, allowed: string[]): string {
  const wanted = trim(url);
  if (!allowed.includes(wanted)) {
    throw new AppError('validation_failed', `${field}: must be one of ${allowed.join(', ')}`, {
      details: [{ field, message: `must be one of ${allowed.join(', ')}` }],
    });
  }
  return wanted;
}

export function toSettingsView(programId: string, row: RewardSettingsRow | undefined): RewardSettingsView {
  return {
    programId,
    sameDomainGuard: row?.sameDomainGuard ?? false,
    stripe:
      row?.stripeBaseUrl && row.stripeKeySealed
        ? { baseUrl: row.stripeBaseUrl, customerIdField: row.stripeCustomerField, secretKeySet: true }
        : null,
    tremendous:
      row?.tremendousBaseUrl && row.tremendousKeySealed
        ? {
            baseUrl: row.tremendousBaseUrl,
            productId: row.tremendousProductId ?? '',
            fundingSourceId: row.tremendousFundingSourceId ?? 'balance',
            apiKeySet: true,
          }
        : null,
    updatedAt: (row?.updatedAt ?? new Date(0)).toISOString(),
  };
}

export async function settingsOf(db: Db, programId: string): Promise<RewardSettingsRow | undefined> {
  const [row] = await db.select().from(rewardSettings).where(eq(rewardSettings.programId, programId));
  return row;
}

export async function getRewardSettings(ctx: AppContext, workspaceId: string, programId: string) {
  const program = await getProgram(ctx.db, workspaceId, programId);
  return toSettingsView(program.id, await settingsOf(ctx.db, program.id));
}

/** Absent sections are kept as they are; `null` removes one. Secrets are sealed at once. */
export async function putRewardSettings(
  ctx: AppContext,
  workspaceId: string,
  programId: string,
  input: RewardSettingsInput,
): Promise<RewardSettingsView> {
  const program = await getProgram(ctx.db, workspaceId, programId);
  const allowed = allowedPayoutUrls(ctx);
  const patch: Partial<RewardSettingsRow> = { updatedAt: new Date() };
  if (input.sameDomainGuard !== undefined) patch.sameDomainGuard = input.sameDomainGuard;
  if (input.stripe === null) {
    Object.assign(patch, { stripeBaseUrl: null, stripeKeySealed: null });
  } else if (input.stripe) {
    patch.stripeBaseUrl = checkUrl('stripe.baseUrl', input.stripe.baseUrl, allowed.stripe);
    patch.stripeKeySealed = ctx.secrets.seal(input.stripe.secretKey);
    patch.stripeCustomerField = input.stripe.customerIdField;
  }
  if (input.tremendous === null) {
    Object.assign(patch, { tremendousBaseUrl: null, tremendousKeySealed: null });
  } else if (input.tremendous) {
    patch.tremendousBaseUrl = checkUrl('tremendous.baseUrl', input.tremendous.baseUrl, allowed.tremendous);
    patch.tremendousKeySealed = ctx.secrets.seal(input.tremendous.apiKey);
    patch.tremendousProductId = input.tremendous.productId;
    patch.tremendousFundingSourceId = input.tremendous.fundingSourceId;
  }
  const [row] = await ctx.db
    .insert(rewardSettings)
    .values({ programId: program.id, workspaceId, ...patch })
    .onConflictDoUpdate({ target: rewardSettings.programId, set: patch })
    .returning();
  return toSettingsView(program.id, row);
}
