import { z } from 'zod';

export const milestoneKinds = ['pending', 'qualified', 'approved', 'denied'] as const;
export const customFieldTypes = ['text', 'number', 'boolean', 'date', 'email', 'url'] as const;

export const milestoneSchema = z.object({
  code: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,49}$/, 'must be 1-50 lowercase letters, digits or _, starting with a letter'),
  label: z.string().trim().min(1).max(100),
  kind: z.enum(milestoneKinds),
});

export const customFieldSchema = z.object({
  key: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]{0,49}$/, 'must be 1-50 letters, digits or _, starting with a letter'),
  label: z.string().trim().min(1).max(100),
  type: z.enum(customFieldTypes),
  required: z.boolean().default(false),
});

function uniqueBy<T>(key: (item: T) => string, what: string) {
  return (items: T[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      const value = key(item).toLowerCase();
      if (seen.has(value))
        ctx.addIssue({ code: 'custom', path: [index], message: `duplicate ${what} ${key(item)}` });
      seen.add(value);
    });
  };
}

const milestoneList = z
  .array(milestoneSchema)
  .min(1)
  .max(50)
  .superRefine(uniqueBy((m) => m.code, 'milestone code'))
  .refine((list) => list[0]?.kind === 'pending', {
    message: 'the first milestone is where new referrals start, so its kind must be pending',
  });

const fieldList = z
  .array(customFieldSchema)
  .max(100)
  .superRefine(uniqueBy((f) => f.key, 'field key'));

export const createProgramBody = z.object({
  name: z.string().trim().min(1).max(200),
  referralLinkBase: z.string().url().nullable().optional().describe('Landing page; links add ?ref=<code>'),
  milestones: milestoneList.optional().describe('Ordered; default submitted, qualified, won, lost'),
  memberFields: fieldList.optional(),
  referralFields: fieldList.optional(),
});

export const updateProgramBody = createProgramBody.partial();

export const programSchema = z.object({
  id: z.string(),
  name: z.string(),
  referralLinkBase: z.string().nullable(),
  milestones: z.array(milestoneSchema),
  memberFields: z.array(customFieldSchema),
  referralFields: z.array(customFieldSchema),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type CreateProgramInput = z.infer<typeof createProgramBody>;
export type UpdateProgramInput = z.infer<typeof updateProgramBody>;
export type ProgramView = z.infer<typeof programSchema>;
