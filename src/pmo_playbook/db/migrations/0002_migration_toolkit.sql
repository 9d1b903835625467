-- 0002: the migration toolkit (issue 3, docs/migration-runbook.md).
-- * `bson_annotations` on the nine tables: what natural JSON in `data` cannot hold (Decimal128,
--   Int64, NaN, Binary subtypes, key order, non-ObjectId `_id`, ...) so that decoding a row gives
--   back the identical BSON document (MIGRATION_DESIGN.md). NULL when nothing is needed.
-- * `migration_runs`, `migration_checkpoints`: one row per `pmo migrate run`, and per collection
--   the resume point, committed in the same transaction as the batch it covers.
-- * `migration_quarantine`: documents that could not be stored, with the original document as
--   canonical Extended JSON and the reason. Nothing is ever dropped silently.
-- * `legacy_documents`: collections that map to no table, kept with `--include-unmapped`.

ALTER TABLE projects ADD COLUMN bson_annotations jsonb;
ALTER TABLE human_sops ADD COLUMN bson_annotations jsonb;
ALTER TABLE agent_sops ADD COLUMN bson_annotations jsonb;
ALTER TABLE chat_histories ADD COLUMN bson_annotations jsonb;
ALTER TABLE user_feedback ADD COLUMN bson_annotations jsonb;
ALTER TABLE message_feedback ADD COLUMN bson_annotations jsonb;
ALTER TABLE change_proposals ADD COLUMN bson_annotations jsonb;
ALTER TABLE sop_version_histories ADD COLUMN bson_annotations jsonb;
ALTER TABLE users ADD COLUMN bson_annotations jsonb;

-- migration_runs -------------------------------------------------------------------------------
CREATE TABLE migration_runs (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- sha256 over the source kind, description and its collections (names, counts, sizes).
    source_fingerprint  text NOT NULL,
    source_kind         text NOT NULL,
    source_description  text NOT NULL,  -- never holds a password (sources redact it)
    include_unmapped    boolean NOT NULL DEFAULT false,
    status              text NOT NULL DEFAULT 'running'
                        CONSTRAINT migration_runs_status_vocabulary CHECK (status IN ('running', 'finished', 'failed')),
    report              jsonb,
    started_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz
);
COMMENT ON TABLE migration_runs IS 'One row per pmo migrate run (resumed runs continue the same row)';
-- Resume: the newest unfinished run of the same source (SELECT ... WHERE source_fingerprint = $1
-- AND status = 'running' ORDER BY started_at DESC LIMIT 1).
CREATE INDEX migration_runs_fingerprint_idx ON migration_runs (source_fingerprint, started_at DESC);

-- migration_checkpoints --------------------------------------------------------------------------
CREATE TABLE migration_checkpoints (
    run_id          bigint NOT NULL REFERENCES migration_runs (id) ON DELETE CASCADE,
    collection      text NOT NULL,  -- the source collection name
    next_index      bigint NOT NULL DEFAULT 0,  -- documents of the source already handled
    last_legacy_id  text,  -- canonical `_id` of the last handled document (live source resumes after it)
    read            bigint NOT NULL DEFAULT 0,
    inserted        bigint NOT NULL DEFAULT 0,
    updated         bigint NOT NULL DEFAULT 0,
    unchanged       bigint NOT NULL DEFAULT 0,
    quarantined     bigint NOT NULL DEFAULT 0,
    identical       bigint NOT NULL DEFAULT 0,  -- read back and decoded to the same BSON bytes
    different       bigint NOT NULL DEFAULT 0,
    dangling_refs   bigint NOT NULL DEFAULT 0,  -- agent_sops.humanSopId pointing nowhere
    seconds         double precision NOT NULL DEFAULT 0,
    done            boolean NOT NULL DEFAULT false,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- The resume lookup reads the checkpoints of one run (WHERE run_id = $1).
    CONSTRAINT migration_checkpoints_pkey PRIMARY KEY (run_id, collection)
);
COMMENT ON TABLE migration_checkpoints IS 'Per run and collection: resume point and counts, committed with each batch';

-- migration_quarantine -----------------------------------------------------------------------------
CREATE TABLE migration_quarantine (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id          bigint REFERENCES migration_runs (id) ON DELETE SET NULL,
    collection      text NOT NULL,  -- the source collection name
    target_table    text,  -- NULL for unmapped collections
    legacy_id       text NOT NULL,  -- canonical `_id` text (MIGRATION_DESIGN.md), or the source position
    doc_id          text,  -- the `_id` as canonical Extended JSON (NULL when the document has none)
    document        text NOT NULL,  -- the original document as canonical Extended JSON
    reason          text NOT NULL,
    position        text,  -- where in the source (file and offset/line)
    created_at      timestamptz NOT NULL DEFAULT now(),
    seen_at         timestamptz NOT NULL DEFAULT now(),  -- last run that quarantined it again
    resolved_at     timestamptz,  -- set when a later run or `quarantine retry` stored it
    resolved_run_id bigint REFERENCES migration_runs (id) ON DELETE SET NULL
);
COMMENT ON TABLE migration_quarantine IS 'Documents that could not be stored, with their original Extended JSON and the reason';
-- One open entry per document: a re-run updates it instead of adding a duplicate
-- (INSERT ... ON CONFLICT (collection, legacy_id) WHERE resolved_at IS NULL), the loader marks it
-- resolved by joining on (collection, legacy_id), and verify lists open entries per collection.
CREATE UNIQUE INDEX migration_quarantine_open_key ON migration_quarantine (collection, legacy_id)
    WHERE resolved_at IS NULL;

-- legacy_documents -------------------------------------------------------------------------------
CREATE TABLE legacy_documents (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    collection        text NOT NULL,
    legacy_id         text NOT NULL,
    data              jsonb NOT NULL,
    bson_annotations  jsonb,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    -- The loader's upsert key (ON CONFLICT (collection, legacy_id)); verify and export read one
    -- collection through its leading column.
    CONSTRAINT legacy_documents_collection_legacy_id_key UNIQUE (collection, legacy_id)
);
COMMENT ON TABLE legacy_documents IS 'Documents of legacy collections that map to no table (pmo migrate run --include-unmapped)';
CREATE TRIGGER legacy_documents_set_updated_at BEFORE UPDATE ON legacy_documents
    FOR EACH ROW EXECUTE FUNCTION pmo_set_updated_at();
