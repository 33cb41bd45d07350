CREATE TABLE "receiver_settings" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"program_id" text NOT NULL,
	"connection_id" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"status_triggers" jsonb NOT NULL,
	"allow_override_denied" boolean DEFAULT false NOT NULL,
	"field_updates" jsonb NOT NULL,
	"update_contact_details" boolean DEFAULT false NOT NULL,
	"target_match" jsonb NOT NULL,
	"fuzzy_match" boolean DEFAULT true NOT NULL,
	"contact_matching" text NOT NULL,
	"member_match" jsonb NOT NULL,
	"process_rules" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sales_entries" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"connection_id" text,
	"source" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"raw_payload" text NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"object_type" text,
	"record_id" text,
	"fields" jsonb NOT NULL,
	"received_fields" jsonb NOT NULL,
	"occurred_at" timestamp with time zone,
	"related" jsonb,
	"referral_id" text,
	"member_id" text,
	"match_method" text,
	"match_score" double precision,
	"trigger" jsonb,
	"changes" jsonb,
	"requested_milestone" text,
	"feedback" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "last_entry_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "poll_cursor" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "hook_secret_sealed" text;--> statement-breakpoint
ALTER TABLE "receiver_settings" ADD CONSTRAINT "receiver_settings_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "receiver_settings" ADD CONSTRAINT "receiver_settings_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "receiver_settings" ADD CONSTRAINT "receiver_settings_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales_entries" ADD CONSTRAINT "sales_entries_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "receiver_settings_workspace_idx" ON "receiver_settings" USING btree ("workspace_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "receiver_settings_program_idx" ON "receiver_settings" USING btree ("program_id","connection_id");--> statement-breakpoint
CREATE UNIQUE INDEX "sales_entries_dedupe_idx" ON "sales_entries" USING btree ("workspace_id","dedupe_key");--> statement-breakpoint
CREATE INDEX "sales_entries_workspace_idx" ON "sales_entries" USING btree ("workspace_id","id");--> statement-breakpoint
CREATE INDEX "sales_entries_status_idx" ON "sales_entries" USING btree ("workspace_id","status");--> statement-breakpoint
CREATE INDEX "sales_entries_record_idx" ON "sales_entries" USING btree ("workspace_id","record_id");