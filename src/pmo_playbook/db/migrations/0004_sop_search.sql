-- 0004: the chat's retrieval index over the agent SOPs.
--
-- Derived data only: everything here can be rebuilt from agent_sops at any time (the chat
-- rebuilds stale rows lazily, the SOP change listener rebuilds a SOP when it is regenerated).
-- No foreign key to agent_sops on purpose: bulk loads may TRUNCATE agent_sops, and rows that no
-- longer match a SOP are detected as stale and removed by the indexer.

-- One row per indexed agent SOP: its weighted full-text document and the fingerprint of the
-- source row it was built from (stale when agent_sops changes).
CREATE TABLE agent_sop_search (
    sop_id        text PRIMARY KEY,
    source_hash   text NOT NULL,
    title         text NOT NULL,
    phase         smallint NOT NULL,
    search        tsvector NOT NULL,
    vocabulary    text[] NOT NULL DEFAULT '{}',
    indexed_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE agent_sop_search IS 'Chat retrieval: one weighted tsvector per agent SOP (derived, rebuildable)';
-- Ranking SOPs for a question: lexeme lookups with @@.
CREATE INDEX agent_sop_search_search_idx ON agent_sop_search USING gin (search);

-- One row per quotable passage (list item) of an agent SOP.
CREATE TABLE agent_sop_sections (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sop_id        text NOT NULL,
    section_key   text NOT NULL,
    position      integer NOT NULL,
    heading       text NOT NULL,
    body          text NOT NULL,
    search        tsvector NOT NULL,
    CONSTRAINT agent_sop_sections_item_key UNIQUE (sop_id, section_key, position)
);
COMMENT ON TABLE agent_sop_sections IS 'Chat retrieval: passages (section items) of agent SOPs with weighted tsvectors';
-- Best passages for a question: lexeme lookups with @@ (the unique key serves per-SOP reads).
CREATE INDEX agent_sop_sections_search_idx ON agent_sop_sections USING gin (search);

-- Semantic retrieval only where the server offers pgvector (the embedded PostgreSQL 18 does;
-- Debian's PostgreSQL 15 does not, and the migration must still succeed there). The application
-- looks for the column at run time and falls back to full-text search alone without it.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
        BEGIN
            EXECUTE 'CREATE EXTENSION IF NOT EXISTS vector';
        EXCEPTION WHEN insufficient_privilege OR feature_not_supported THEN
            RAISE NOTICE 'pgvector available but not installable here; full-text retrieval only';
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') THEN
        EXECUTE 'ALTER TABLE agent_sop_sections ADD COLUMN embedding vector(384)';
        EXECUTE 'ALTER TABLE agent_sop_sections ADD COLUMN embedding_model text';
    END IF;
END
$$;
