CREATE TABLE "receiver_connection_state" (
	"connection_id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"last_entry_at" timestamp with time zone,
	"last_poll_at" timestamp with time zone,
	"last_poll_found" integer,
	"poll_cursor" timestamp with time zone,
	"hook_secret_sealed" text
);
--> statement-breakpoint
ALTER TABLE "receiver_connection_state" ADD CONSTRAINT "receiver_connection_state_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "receiver_connection_state" ADD CONSTRAINT "receiver_connection_state_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "receiver_connection_state_workspace_idx" ON "receiver_connection_state" USING btree ("workspace_id");--> statement-breakpoint
-- Keep what the receiver knew about each connection: its hook URLs stay valid, its poll resumes where it was.
INSERT INTO "receiver_connection_state" ("connection_id", "workspace_id", "last_entry_at", "poll_cursor", "hook_secret_sealed")
SELECT "id", "workspace_id", "last_entry_at", "poll_cursor", "hook_secret_sealed" FROM "connections"
WHERE "last_entry_at" IS NOT NULL OR "poll_cursor" IS NOT NULL OR "hook_secret_sealed" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "connections" DROP COLUMN "last_entry_at";--> statement-breakpoint
ALTER TABLE "connections" DROP COLUMN "poll_cursor";--> statement-breakpoint
ALTER TABLE "connections" DROP COLUMN "hook_secret_sealed";