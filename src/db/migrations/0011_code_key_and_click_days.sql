CREATE TABLE "capture_click_days" (
	"program_id" text NOT NULL,
	"member_id" text NOT NULL,
	"workspace_id" text NOT NULL,
	"day" date NOT NULL,
	"clicks" integer NOT NULL,
	CONSTRAINT "capture_click_days_program_id_member_id_day_pk" PRIMARY KEY("program_id","member_id","day")
);
--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "referral_code_key" text;--> statement-breakpoint
-- Codes one member has alone get their key; codes several programs already share keep null:
-- they stay reachable through each program's link, and nobody new may take them.
UPDATE "members" SET "referral_code_key" = lower("referral_code") WHERE lower("referral_code") IN (SELECT lower("referral_code") FROM "members" GROUP BY 1 HAVING count(*) = 1);--> statement-breakpoint
CREATE INDEX "capture_click_days_member_idx" ON "capture_click_days" USING btree ("member_id");--> statement-breakpoint
CREATE INDEX "capture_clicks_created_idx" ON "capture_clicks" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "members_code_key_idx" ON "members" USING btree ("referral_code_key");