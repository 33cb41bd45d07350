import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client.ts';
import type { ProgramRow } from '../programs/service.ts';
import { type CaptureTexts, captureSettings } from './tables.ts';

export type CaptureSettingsRow = typeof captureSettings.$inferSelect;

export const defaultTexts: Required<CaptureTexts> = {
  referTitle: 'Refer a friend',
  referIntro: 'Know someone who would benefit? Tell us who they are and we will take it from there.',
  joinTitle: 'Join our referral program',
  joinIntro: 'Get your own referral link and code, and earn rewards for every friend you refer.',
  consent: 'My friend agreed that I share their contact details so that you can get in touch with them.',
  thanks: 'Thank you! We will reach out to your friend soon.',
};

const httpUrl = z
  .string()
  .trim()
  .url()
  .max(2000)
  .refine((value) => /^https?:\/\//i.test(value), 'must be an http:// or https:// URL');

/** `https://shop.example` or `http://localhost:8080`: scheme, host and port only, as browsers send it. */
const origin = z
  .string()
  .trim()
  .max(300)
  .refine((value) => {
    try {
      const url = new URL(value);
      return /^https?:$/.test(url.protocol) && url.origin === value.replace(/\/$/, '');
    } catch {
      return false;
    }
  }, 'must be an origin: scheme, host and optional port, e.g. https://shop.example')
  .transform((value) => new URL(value).origin);

const text = (max: number) => z.string().trim().min(1).max(max).optional();

export const captureSettingsBody = z.object({
  landingUrl: httpUrl
    .nullable()
    .optional()
    .describe("Where a member's link leads; the code is added as ?ref=<code>"),
  attributionDays: z
    .union([z.literal(30), z.literal(60), z.literal(90)])
    .optional()
    .describe('How long a click counts: the conversion cookie lives this many days'),
  allowedOrigins: z
    .array(origin)
    .max(20)
    .optional()
    .describe('Sites whose pages may create referrals with a publishable key'),
  hostedPages: z
    .enum(['off', 'refer', 'refer_and_join'])
    .optional()
    .describe('Which hosted pages are public: none, the refer-a-friend form, or also the join page'),
  brandName: z.string().trim().min(1).max(100).nullable().optional(),
  logoUrl: httpUrl.nullable().optional(),
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour as #rrggbb')
    .nullable()
    .optional(),
  texts: z
    .object({
      referTitle: text(200),
      referIntro: text(1000),
      joinTitle: text(200),
      joinIntro: text(1000),
      consent: text(1000),
      thanks: text(1000),
    })
    .strict()
    .optional(),
});

export const captureSettingsSchema = z.object({
  programId: z.string(),
  landingUrl: z.string().nullable(),
  attributionDays: z.number(),
  allowedOrigins: z.array(z.string()),
  hostedPages: z.enum(['off', 'refer', 'refer_and_join']),
  brandName: z.string().nullable(),
  logoUrl: z.string().nullable(),
  color: z.string().nullable(),
  texts: z.object({
    referTitle: z.string(),
    referIntro: z.string(),
    joinTitle: z.string(),
    joinIntro: z.string(),
    consent: z.string(),
    thanks: z.string(),
  }),
  urls: z.object({
    referPage: z.string(),
    joinPage: z.string(),
    portal: z.string(),
    script: z.string(),
  }),
});

export type CaptureSettingsInput = z.infer<typeof captureSettingsBody>;
export type CaptureSettingsView = z.infer<typeof captureSettingsSchema>;

/** A program's capture settings, with every default filled in. */
export interface EffectiveSettings {
  programId: string;
  workspaceId: string;
  landingUrl: string | null;
  attributionDays: number;
  allowedOrigins: string[];
  hostedPages: 'off' | 'refer' | 'refer_and_join';
  brandName: string;
  logoUrl: string | null;
  color: string;
  texts: Required<CaptureTexts>;
}

export const DEFAULT_COLOR = '#2457c5';

export function effective(program: ProgramRow, row: CaptureSettingsRow | undefined): EffectiveSettings {
  return {
    programId: program.id,
    workspaceId: program.workspaceId,
    landingUrl: row?.landingUrl ?? program.referralLinkBase ?? null,
    attributionDays: row?.attributionDays ?? 30,
    allowedOrigins: row?.allowedOrigins ?? [],
    hostedPages: row?.hostedPages ?? 'off',
    brandName: row?.brandName ?? program.name,
    logoUrl: row?.logoUrl ?? null,
    color: row?.color ?? DEFAULT_COLOR,
    texts: { ...defaultTexts, ...row?.texts },
  };
}

export async function settingsRow(db: Db, programId: string): Promise<CaptureSettingsRow | undefined> {
  const [row] = await db.select().from(captureSettings).where(eq(captureSettings.programId, programId));
  return row;
}

export async function settingsOf(db: Db, program: ProgramRow): Promise<EffectiveSettings> {
  return effective(program, await settingsRow(db, program.id));
}

export function toSettingsView(settings: EffectiveSettings, publicUrl: string): CaptureSettingsView {
  const { workspaceId: _workspace, ...rest } = settings;
  return {
    ...rest,
    brandName: settings.brandName,
    urls: {
      referPage: `${publicUrl}/p/${settings.programId}/refer`,
      joinPage: `${publicUrl}/p/${settings.programId}/join`,
      portal: `${publicUrl}/portal/${settings.programId}`,
      script: `${publicUrl}${SCRIPT_PATH}`,
    },
  };
}

/** The conversion script's address: its version is in the name, so it can be cached for long. */
export const SCRIPT_VERSION = '1';
export const SCRIPT_PATH = `/js/refsync.${SCRIPT_VERSION}.js`;

function mergeTexts(current: CaptureTexts, change: CaptureSettingsInput['texts']): CaptureTexts {
  const out: CaptureTexts = { ...current };
  for (const [key, value] of Object.entries(change ?? {})) {
    if (typeof value === 'string') out[key as keyof CaptureTexts] = value;
  }
  return out;
}

/** Merges a partial change into a program's settings. */
export async function saveSettings(
  db: Db,
  program: ProgramRow,
  input: CaptureSettingsInput,
): Promise<EffectiveSettings> {
  const current = await settingsRow(db, program.id);
  const values = {
    programId: program.id,
    workspaceId: program.workspaceId,
    landingUrl: input.landingUrl === undefined ? (current?.landingUrl ?? null) : input.landingUrl,
    attributionDays: input.attributionDays ?? current?.attributionDays ?? 30,
    allowedOrigins: input.allowedOrigins ?? current?.allowedOrigins ?? [],
    hostedPages: input.hostedPages ?? current?.hostedPages ?? 'off',
    brandName: input.brandName === undefined ? (current?.brandName ?? null) : input.brandName,
    logoUrl: input.logoUrl === undefined ? (current?.logoUrl ?? null) : input.logoUrl,
    color: input.color === undefined ? (current?.color ?? null) : input.color,
    texts: mergeTexts(current?.texts ?? {}, input.texts),
    updatedAt: new Date(),
  };
  const [row] = await db
    .insert(captureSettings)
    .values(values)
    .onConflictDoUpdate({ target: captureSettings.programId, set: values })
    .returning();
  return effective(program, row);
}
