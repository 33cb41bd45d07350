import { z } from 'zod';

export const apiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe('First characters of the key'),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

export const createdApiKeySchema = apiKeySchema.extend({ key: z.string() });

export const workspaceSchema = z.object({ id: z.string(), name: z.string(), createdAt: z.string() });

export type ApiKeyView = z.infer<typeof apiKeySchema>;
export type CreatedApiKeyView = z.infer<typeof createdApiKeySchema>;
