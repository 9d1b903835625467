-- 0006: migration toolkit hardening (issue 3, docs/migration-runbook.md).
-- * `migration_quarantine.document_bson_base64`: the original BSON bytes (base64) of a quarantined
--   document that canonical Extended JSON cannot represent exactly (duplicate keys, invalid
--   UTF-8: the codec refuses them). `document` then holds a best-effort (lossy) rendering for
--   people; retry and export rebuild from the bytes. NULL when `document` is exact.
-- * `migration_run_documents`: per run and source collection, every `_id` read with its position
--   in the source. It makes duplicate detection across batches set-based with bounded memory (an
--   `_id` already read by THIS run at an earlier position is a duplicate) and tells the rows whose
--   `_id` the source no longer has (deleted since the last run; `pmo migrate run --prune`).
-- * `migration_run_duplicates`: the positions of the later duplicates (quarantined, not loaded),
--   so that a resumed run maps the loader's document count back to the source position.
--   Rows of both tables are deleted when their run finishes.

ALTER TABLE migration_quarantine ADD COLUMN document_bson_base64 text;

CREATE TABLE migration_run_documents (
    run_id      bigint NOT NULL REFERENCES migration_runs (id) ON DELETE CASCADE,
    collection  text NOT NULL,  -- the source collection name
    legacy_id   text NOT NULL,  -- canonical `_id` text (MIGRATION_DESIGN.md)
    position    bigint NOT NULL,  -- 0-based index of the first document with this `_id` in the source
    -- The duplicate check joins a batch's ids on (run_id, collection, legacy_id); the anti-join
    -- of the deletion report and the cleanup read one run's rows through the leading columns.
    CONSTRAINT migration_run_documents_pkey PRIMARY KEY (run_id, collection, legacy_id)
);
COMMENT ON TABLE migration_run_documents IS 'Per run and source collection: every _id read and where (duplicates, deletions)';

CREATE TABLE migration_run_duplicates (
    run_id      bigint NOT NULL REFERENCES migration_runs (id) ON DELETE CASCADE,
    collection  text NOT NULL,
    position    bigint NOT NULL,  -- 0-based index in the source of the later duplicate
    legacy_id   text NOT NULL,
    -- Resume reads one run's positions in order (WHERE run_id = $1 AND collection = $2 ORDER BY position).
    CONSTRAINT migration_run_duplicates_pkey PRIMARY KEY (run_id, collection, position)
);
COMMENT ON TABLE migration_run_duplicates IS 'Per run and source collection: positions of duplicate _ids (quarantined)';
