/**
 * Every table, for the db client and drizzle-kit. Each capability declares its own tables
 * beside its code and is the only one to read or write them; others go through its functions.
 */
export * from '../capture/tables.ts';
export * from '../connections/tables.ts';
export * from '../http/tables.ts';
export * from '../members/tables.ts';
export * from '../notifications/tables.ts';
export * from '../programs/tables.ts';
export * from '../push/tables.ts';
export * from '../queue/tables.ts';
export * from '../receiver/tables.ts';
export * from '../referrals/tables.ts';
export * from '../rewards/tables.ts';
export * from '../users/tables.ts';
export * from '../webhooks/tables.ts';
export * from '../workspaces/tables.ts';
export * from './columns.ts';
