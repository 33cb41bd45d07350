ALTER TABLE "referrals" ADD COLUMN "email_key" text;--> statement-breakpoint
CREATE INDEX "referrals_email_key_idx" ON "referrals" USING btree ("workspace_id","email_key");--> statement-breakpoint
CREATE INDEX "referrals_email_unkeyed_idx" ON "referrals" USING btree ("workspace_id") WHERE "referrals"."email_key" is null and "referrals"."email" is not null;--> statement-breakpoint
-- The key of existing referrals, as normalizeEmail (src/core/text-keys.ts) gives it: trimmed,
-- lower case, a +tag dropped, Gmail's dots dropped and googlemail.com read as gmail.com. Only
-- for emails of printable ASCII, where SQL's lower() is JavaScript's; the rest stay null and
-- are found by their domain (referrals_email_unkeyed_idx).
UPDATE "referrals" AS r SET "email_key" = k.key FROM (
  SELECT id, CASE WHEN m[1] = '' OR m[2] = '' THEN NULL
    ELSE (CASE WHEN m[2] IN ('gmail.com', 'googlemail.com') THEN replace(l, '.', '') ELSE l END) || '@' ||
      (CASE WHEN m[2] IN ('gmail.com', 'googlemail.com') THEN 'gmail.com' ELSE m[2] END) END AS key
  FROM (
    SELECT id, m, CASE WHEN strpos(m[1], '+') > 1 THEN left(m[1], strpos(m[1], '+') - 1) ELSE m[1] END AS l
    FROM (SELECT id, regexp_match(lower(btrim("email", ' ')), '^(.*)@([^@]*)$') AS m FROM "referrals" WHERE "email" ~ '^[ -~]*$') AS a
    WHERE m IS NOT NULL
  ) AS b
) AS k WHERE r.id = k.id AND r."email_key" IS NULL;
