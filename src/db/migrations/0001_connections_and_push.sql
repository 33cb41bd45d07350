CREATE TABLE "connections" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"provider" text NOT NULL,
	"name" text NOT NULL,
	"status" text NOT NULL,
	"base_url" text NOT NULL,
	"authorize_base_url" text NOT NULL,
	"client_id" text NOT NULL,
	"client_secret_sealed" text NOT NULL,
	"access_token_sealed" text,
	"refresh_token_sealed" text,
	"token_expires_at" timestamp with time zone,
	"instance_url" text,
	"account_id" text,
	"last_success_at" timestamp with time zone,
	"last_error_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "oauth_states" (
	"state" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"connection_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "push_log" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"settings_id" text NOT NULL,
	"connection_id" text NOT NULL,
	"subject" text NOT NULL,
	"subject_id" text NOT NULL,
	"action" text NOT NULL,
	"crm_object" text,
	"crm_id" text,
	"crm_url" text,
	"crm_code" text,
	"message" text,
	"retryable" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "push_records" (
	"settings_id" text NOT NULL,
	"subject_id" text NOT NULL,
	"workspace_id" text NOT NULL,
	"crm_object" text NOT NULL,
	"crm_id" text NOT NULL,
	"deal_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "push_records_settings_id_subject_id_pk" PRIMARY KEY("settings_id","subject_id")
);
--> statement-breakpoint
CREATE TABLE "push_settings" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"program_id" text NOT NULL,
	"connection_id" text NOT NULL,
	"subject" text NOT NULL,
	"enabled" boolean NOT NULL,
	"crm_object" text NOT NULL,
	"mappings" jsonb NOT NULL,
	"system_fields" jsonb NOT NULL,
	"existing_policy" text NOT NULL,
	"deny_grace_minutes" integer DEFAULT 60 NOT NULL,
	"campaign_id" text,
	"deal" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "connections" ADD CONSTRAINT "connections_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth_states" ADD CONSTRAINT "oauth_states_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth_states" ADD CONSTRAINT "oauth_states_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "push_log" ADD CONSTRAINT "push_log_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "push_log" ADD CONSTRAINT "push_log_settings_id_push_settings_id_fk" FOREIGN KEY ("settings_id") REFERENCES "public"."push_settings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "push_records" ADD CONSTRAINT "push_records_settings_id_push_settings_id_fk" FOREIGN KEY ("settings_id") REFERENCES "public"."push_settings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "push_records" ADD CONSTRAINT "push_records_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "push_settings" ADD CONSTRAINT "push_settings_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "push_settings" ADD CONSTRAINT "push_settings_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "push_settings" ADD CONSTRAINT "push_settings_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "connections_workspace_idx" ON "connections" USING btree ("workspace_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "connections_account_idx" ON "connections" USING btree ("provider","account_id");--> statement-breakpoint
CREATE INDEX "push_log_workspace_idx" ON "push_log" USING btree ("workspace_id","id");--> statement-breakpoint
CREATE INDEX "push_log_subject_idx" ON "push_log" USING btree ("subject_id","id");--> statement-breakpoint
CREATE INDEX "push_records_crm_idx" ON "push_records" USING btree ("crm_id");--> statement-breakpoint
CREATE INDEX "push_settings_workspace_idx" ON "push_settings" USING btree ("workspace_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "push_settings_program_idx" ON "push_settings" USING btree ("program_id","connection_id","subject");