-- 0014: module-by-module cut-over (docs/migration-runbook.md, Phases 4-6).
-- While a cut-over is in progress every module (a group of legacy collections) is OWNED by one
-- side, MongoDB or PostgreSQL; the other side receives its changes. No row in cutover_modules
-- means no cut-over: the application owns everything (a never-synced database, like the demo's).

CREATE TABLE cutover_modules (
    module     text PRIMARY KEY
        CONSTRAINT cutover_modules_module_check
        CHECK (module IN ('projects', 'sops', 'chat', 'feedback', 'proposals', 'users')),
    owner      text NOT NULL CONSTRAINT cutover_modules_owner_check
        CHECK (owner IN ('mongodb', 'postgresql')),
    changed_at timestamptz NOT NULL DEFAULT now(),
    verify_state text,          -- 'clean' or what differed, from the last verify of the module
    verified_at  timestamptz
);
COMMENT ON TABLE cutover_modules IS 'who owns each module during a cut-over (empty: PostgreSQL owns everything)';

-- MongoDB -> PostgreSQL: where the sync of each legacy collection stands. The resume token (or
-- the updatedAt watermark) is written in the same transaction as the rows it covers.
CREATE TABLE sync_collections (
    collection     text PRIMARY KEY,            -- the legacy collection name
    module         text NOT NULL,
    mode           text CONSTRAINT sync_collections_mode_check
        CHECK (mode IN ('changestream', 'poll')),
    resume_token   bytea,                       -- BSON of the last applied change's _id
    watermark      timestamptz,                 -- poll mode: the largest updatedAt applied
    loaded         boolean NOT NULL DEFAULT false,  -- the full load finished
    last_event_at  timestamptz,                 -- when the last applied change happened
    caught_up_at   timestamptz,                 -- when the sync last found nothing pending
    events_applied bigint NOT NULL DEFAULT 0,
    reconciled_at  timestamptz                  -- poll mode: last _id reconciliation (deletes)
);

-- PostgreSQL -> MongoDB: the rows of PostgreSQL-owned modules changed since they were applied to
-- MongoDB. Fed by cutover_capture() in the writer's own transaction; the sync deletes an entry
-- only after MongoDB holds the row's current state (so a crash repeats, never loses, a write).
CREATE TABLE sync_outbox (
    id         bigserial PRIMARY KEY,
    module     text NOT NULL,
    table_name text NOT NULL,
    legacy_id  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- The lag per module and the pending check of one document.
CREATE INDEX sync_outbox_module_idx ON sync_outbox (module, id);
CREATE INDEX sync_outbox_row_idx ON sync_outbox (table_name, legacy_id);

-- Installed on the nine legacy tables only while a cut-over is in progress (repositories/
-- cutover.py creates and drops the triggers), so a normal database pays nothing.
-- A write to a module MongoDB owns is refused (nothing written) unless it comes from the sync
-- itself (SET LOCAL pmo.sync_writer = 'on'); a write to a PostgreSQL-owned module is queued.
CREATE FUNCTION cutover_capture() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    owner_now text;
    lid text;
BEGIN
    SELECT owner INTO owner_now FROM cutover_modules WHERE module = TG_ARGV[0];
    IF owner_now IS NULL THEN
        RETURN NULL;
    END IF;
    IF owner_now = 'mongodb' THEN
        IF coalesce(current_setting('pmo.sync_writer', true), '') <> 'on' THEN
            -- SQLSTATE P0M01, DETAIL = the module, HINT = its owner: the application turns
            -- this into 409 MODULE_NOT_OWNED (services/ownership.py); the transaction aborts,
            -- so nothing of the refused request is written.
            RAISE EXCEPTION 'module % is owned by mongodb', TG_ARGV[0]
                USING ERRCODE = 'P0M01', DETAIL = TG_ARGV[0], HINT = owner_now;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN lid := OLD.legacy_id; ELSE lid := NEW.legacy_id; END IF;
    IF lid IS NOT NULL THEN
        INSERT INTO sync_outbox (module, table_name, legacy_id) VALUES (TG_ARGV[0], TG_TABLE_NAME, lid);
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.legacy_id IS DISTINCT FROM NEW.legacy_id AND OLD.legacy_id IS NOT NULL THEN
        INSERT INTO sync_outbox (module, table_name, legacy_id) VALUES (TG_ARGV[0], TG_TABLE_NAME, OLD.legacy_id);
    END IF;
    RETURN NULL;
END;
$$;
