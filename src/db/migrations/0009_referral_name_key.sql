ALTER TABLE "referrals" ADD COLUMN "last_name_key" text;--> statement-breakpoint
CREATE INDEX "referrals_last_name_key_idx" ON "referrals" USING btree ("program_id","last_name_key");--> statement-breakpoint
-- Plain-ASCII names get their key here (for them the key is exactly this); other rows keep
-- null and are found by their lower-case last name, as before, until they are next saved.
UPDATE "referrals" SET "last_name_key" = nullif(trim(regexp_replace(lower("last_name"), '[^a-z0-9]+', ' ', 'g')), '') WHERE "last_name" ~ '^[ -~]*$';
