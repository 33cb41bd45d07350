CREATE TABLE "connection_alerts" (
	"connection_id" text NOT NULL,
	"key" text NOT NULL,
	"workspace_id" text NOT NULL,
	"code" text NOT NULL,
	"message" text NOT NULL,
	"details" jsonb NOT NULL,
	"raised_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connection_alerts_connection_id_key_pk" PRIMARY KEY("connection_id","key")
);
--> statement-breakpoint
ALTER TABLE "receiver_connection_state" ADD COLUMN "polls_found_in_row" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "connection_alerts" ADD CONSTRAINT "connection_alerts_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connection_alerts" ADD CONSTRAINT "connection_alerts_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "connection_alerts_workspace_idx" ON "connection_alerts" USING btree ("workspace_id");