ALTER TABLE "sales_entries" ADD COLUMN "needs_reconnect" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- Entries that failed for their connection before the column existed said so only in their reason.
UPDATE "sales_entries" SET "needs_reconnect" = true WHERE "status" = 'failed' AND "reason" LIKE 'the connection needs reconnecting%';
