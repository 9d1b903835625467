-- 0007: deferred secondary indexes of a first load (issue 3, docs/migration-runbook.md).
-- `pmo migrate run` loading a large collection into an EMPTY table drops that table's
-- non-unique secondary indexes (GIN and btree; never the primary key or a unique index), loads,
-- and creates them again (what pg_restore does). The definitions are recorded here in the same
-- transaction that drops them, and each row is deleted in the same transaction that creates its
-- index again, so a run killed at any point leaves every missing index named here: the next
-- `pmo migrate run` (and a failed run's cleanup) creates them before anything else, and
-- `pmo db status` reports them while any remain.

CREATE TABLE migration_deferred_indexes (
    index_name  text PRIMARY KEY,  -- in the current schema (index names are unique per schema)
    table_name  text NOT NULL,
    definition  text NOT NULL,  -- pg_get_indexdef(): the exact CREATE INDEX statement
    run_id      bigint REFERENCES migration_runs (id) ON DELETE SET NULL,
    dropped_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE migration_deferred_indexes IS 'Secondary indexes dropped for a first load, to be created again (pmo migrate run)';
