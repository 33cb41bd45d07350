import { z } from 'zod';
import { userRoles } from './tables.ts';

export const roleSchema = z.enum(userRoles).describe('admin: everything; viewer: reads only');

export const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  role: roleSchema,
  createdAt: z.string(),
});

export const sessionSchema = z.object({
  user: userSchema,
  workspace: z.object({ id: z.string(), name: z.string() }),
  csrfToken: z.string().describe('Send it as X-CSRF-Token on every write this session makes'),
});

export const signInBody = z.object({
  email: z.string().trim().min(1).max(254),
  password: z.string().min(1).max(200),
});

export const changePasswordBody = z.object({
  currentPassword: z.string().min(1).max(200),
  newPassword: z.string().max(200),
});

export const invitationSchema = z.object({
  id: z.string(),
  email: z.string().nullable(),
  role: roleSchema,
  createdBy: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
});

export const createInvitationBody = z.object({
  email: z.string().trim().email().max(254),
  role: roleSchema,
});

export const createdInvitationSchema = invitationSchema.extend({
  url: z.string().describe('The one-time link to send to the person; shown only in this answer'),
});

export const welcomeSchema = z.object({
  email: z.string().nullable().describe('Fixed by the invitation; null lets the person choose'),
  role: roleSchema,
  workspace: z.string(),
  expiresAt: z.string(),
});

export const acceptBody = z.object({
  token: z.string().min(1).max(200),
  email: z.string().trim().email().max(254).optional(),
  password: z.string().max(200),
});

export const changeRoleBody = z.object({ role: roleSchema });

export type UserView = z.infer<typeof userSchema>;
export type SessionView = z.infer<typeof sessionSchema>;
export type InvitationView = z.infer<typeof invitationSchema>;
export type CreatedInvitationView = z.infer<typeof createdInvitationSchema>;
export type WelcomeView = z.infer<typeof welcomeSchema>;
