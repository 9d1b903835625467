-- 0015: created_at defaults to now() truncated to milliseconds on the nine legacy tables.
-- The application writes `createdAt` into `data` as pmo_iso(now()) (milliseconds, the legacy
-- precision) while the column took now() with microseconds, so a row the application created
-- differed from its own document in created_at. Verification re-derives the column from the
-- document and compares (docs/migration-runbook.md: a cut-over switch needs verify clean), so
-- the two must agree to the millisecond.
ALTER TABLE projects ALTER COLUMN created_at SET DEFAULT date_trunc('milliseconds', now());
ALTER TABLE human_sops ALTER COLUMN created_at SET DEFAULT date_trunc('milliseconds', now());
ALTER TABLE agent_sops ALTER COLUMN created_at SET DEFAULT date_trunc('milliseconds', now());
ALTER TABLE chat_histories ALTER COLUMN created_at SET DEFAULT date_trunc('milliseconds', now());
ALTER TABLE user_feedback ALTER COLUMN created_at SET DEFAULT date_trunc('milliseconds', now());
ALTER TABLE message_feedback ALTER COLUMN created_at SET DEFAULT date_trunc('milliseconds', now());
ALTER TABLE change_proposals ALTER COLUMN created_at SET DEFAULT date_trunc('milliseconds', now());
ALTER TABLE sop_version_histories ALTER COLUMN created_at SET DEFAULT date_trunc('milliseconds', now());
ALTER TABLE users ALTER COLUMN created_at SET DEFAULT date_trunc('milliseconds', now());
