import { z } from 'zod';

const optionalText = (max: number) => z.string().trim().max(max).nullable().optional();

export const referralCodeSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{3,40}$/, 'must be 3-40 letters, digits, - or _')
  // `/r/prg_...` is the program form of a link, so such a code could never be followed.
  .refine((value) => !value.startsWith('prg_'), 'must not start with prg_');

const memberFields = {
  firstName: optionalText(100),
  lastName: optionalText(100),
  email: z.string().trim().email().max(254).nullable().optional(),
  phone: optionalText(50),
  externalId: optionalText(255),
  customFields: z.record(z.string(), z.unknown()).optional(),
};

export const createMemberBody = z
  .object({
    programId: z.string().min(1),
    referralCode: referralCodeSchema.optional().describe('Generated when absent'),
    ...memberFields,
  })
  .refine((body) => Boolean(body.email || body.externalId), {
    message: 'a member needs an email or an externalId',
    path: ['email'],
  });

export const updateMemberBody = z.object({ referralCode: referralCodeSchema.optional(), ...memberFields });

export const memberSchema = z.object({
  id: z.string(),
  programId: z.string(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  externalId: z.string().nullable(),
  referralCode: z.string(),
  referralLink: z.string(),
  customFields: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const listMembersQuery = z.object({
  programId: z.string().optional(),
  email: z.string().optional().describe('Matched case-insensitively'),
  externalId: z.string().optional(),
  referralCode: z.string().optional().describe('Matched case-insensitively'),
  updatedSince: z.iso.datetime({ offset: true }).optional(),
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe('Text in the name, email, referral code or external ID'),
});

export type CreateMemberInput = z.infer<typeof createMemberBody>;
export type UpdateMemberInput = z.infer<typeof updateMemberBody>;
export type MemberView = z.infer<typeof memberSchema>;
export type ListMembersFilter = z.infer<typeof listMembersQuery>;
