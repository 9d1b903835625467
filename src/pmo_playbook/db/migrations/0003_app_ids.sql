-- 0003: atomic business ids for the application (PRO-NNN, SOP-NNN; D16) and one helper that
-- renders a timestamp in the natural JSON form the documents use.
--
-- One counter row per id kind. Allocation (repositories/ids.py) is a single UPDATE that takes
-- the row lock and returns GREATEST(counter, highest existing number) + 1, so concurrent
-- creations queue on the lock instead of colliding, ids keep counting past 999 (PRO-1000), and
-- rows loaded after this migration ran (the migration toolkit's import of PRO-040) still
-- continue at PRO-041.

CREATE TABLE app_id_counters (
    name        text PRIMARY KEY CONSTRAINT app_id_counters_name_vocabulary CHECK (name IN ('project', 'sop')),
    last_value  bigint NOT NULL DEFAULT 0 CONSTRAINT app_id_counters_non_negative CHECK (last_value >= 0)
);
COMMENT ON TABLE app_id_counters IS 'Last allocated number of PRO-/SOP- ids (locked per allocation)';

INSERT INTO app_id_counters (name, last_value)
SELECT 'project', coalesce(max(substring(project_id FROM 5)::bigint), 0) FROM projects;
INSERT INTO app_id_counters (name, last_value)
SELECT 'sop', coalesce(max(substring(sop_id FROM 5)::bigint), 0) FROM human_sops;

-- ISO-8601 UTC with milliseconds and Z, e.g. 2025-07-18T10:04:47.000Z (MIGRATION_DESIGN.md).
CREATE FUNCTION pmo_iso(ts timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
