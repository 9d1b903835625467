-- 0011: the chat's passage index (replaces the per-SOP index of 0004).
--
-- Derived data only: rebuilt from agent_sops / human_sops at any time (the SOP change listener
-- rebuilds a SOP in the transaction that saved it; the chat rebuilds stale SOPs lazily).
-- Vectors are stored as real[] and compared in the application process, so semantic retrieval
-- works on every PostgreSQL 15+ server, with or without pgvector.
DROP TABLE IF EXISTS agent_sop_sections;
DROP TABLE IF EXISTS agent_sop_search;

-- One row per indexed SOP: the fingerprint of what it was built from (stale when it changes).
CREATE TABLE sop_index (
    sop_id        text PRIMARY KEY,
    source_hash   text NOT NULL,
    title         text NOT NULL,
    phase         smallint NOT NULL,
    indexed_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE sop_index IS 'Chat retrieval: one row per indexed SOP (derived, rebuildable)';

-- Passages: the outline, each section, each sentence / list item / table row of a SOP.
CREATE TABLE sop_passages (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sop_id          text NOT NULL REFERENCES sop_index (sop_id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('outline', 'section', 'unit')),
    position        integer NOT NULL,
    section         text NOT NULL,
    body            text NOT NULL,
    search          tsvector NOT NULL,
    length          integer NOT NULL,
    embedding       real[],
    embedding_model text,
    CONSTRAINT sop_passages_item_key UNIQUE (sop_id, kind, position)
);
COMMENT ON TABLE sop_passages IS 'Chat retrieval: SOP passages with tsvector and embedding (derived, rebuildable)';
CREATE INDEX sop_passages_search_idx ON sop_passages USING gin (search);
