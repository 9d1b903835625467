-- 0001: the nine tables of the legacy collections (architecture.md "Data model").
-- Each table: a surrogate id, the natural key(s) with the legacy patterns, `legacy_id` (the
-- MongoDB `_id` in canonical form, so re-imports are idempotent), typed columns for what is
-- filtered, sorted, joined or constrained, the document in `data`, and timestamptz times kept
-- by one `updated_at` trigger function. Runs on PostgreSQL 15 through 18.

CREATE FUNCTION pmo_set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- A writer that sets updated_at itself (the migration loader copying the legacy
    -- updatedAt) keeps its value; every other update gets the current time.
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END;
$$;

-- projects ------------------------------------------------------------------------------------
CREATE TABLE projects (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  text NOT NULL CONSTRAINT projects_project_id_key UNIQUE
                CONSTRAINT projects_project_id_format CHECK (project_id ~ '^PRO-[0-9]{3,}$'),
    legacy_id   text CONSTRAINT projects_legacy_id_key UNIQUE,
    is_active   boolean NOT NULL DEFAULT true,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE projects IS 'Project charters (legacy collection projects)';
-- GET /api/projects?active=true lists active projects; the dashboard filters on it.
CREATE INDEX projects_is_active_idx ON projects (is_active);
-- Containment queries on project documents (seed guide: GIN on data).
CREATE INDEX projects_data_gin ON projects USING gin (data jsonb_path_ops);
-- Seed guide Phase 6.3: newest active projects first.
CREATE INDEX projects_active_created_idx ON projects (is_active, created_at DESC) WHERE is_active;
-- Seed guide Phase 6.3: projects by sponsor (admin search and filter).
CREATE INDEX projects_sponsor_idx ON projects ((data->>'sponsor')) WHERE is_active;
-- Seed guide Phase 6.3 (precedence bug D44 fixed): full-text search over name and business case.
CREATE INDEX projects_fts_idx ON projects USING gin (
    to_tsvector('english', coalesce(data->>'projectName', '') || ' ' || coalesce(data->>'businessCaseSummary', ''))
);

-- human_sops -----------------------------------------------------------------------------------
CREATE TABLE human_sops (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sop_id      text NOT NULL CONSTRAINT human_sops_sop_id_key UNIQUE
                CONSTRAINT human_sops_sop_id_format CHECK (sop_id ~ '^SOP-[0-9]{3,}$'),
    legacy_id   text CONSTRAINT human_sops_legacy_id_key UNIQUE,
    phase       smallint NOT NULL CONSTRAINT human_sops_phase_range CHECK (phase BETWEEN 1 AND 5),
    version     integer NOT NULL DEFAULT 1 CONSTRAINT human_sops_version_positive CHECK (version >= 1),
    is_active   boolean NOT NULL DEFAULT true,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE human_sops IS 'Human-written SOP markdown (legacy collection human_sops)';
-- Seed guide Phase 6.3: the SOP tabs and files-db list active SOPs by phase.
CREATE INDEX human_sops_phase_active_idx ON human_sops (phase, is_active) WHERE is_active;
-- Containment queries on SOP documents (seed guide: GIN on data).
CREATE INDEX human_sops_data_gin ON human_sops USING gin (data jsonb_path_ops);
-- Seed guide Phase 6.3 (precedence bug D44 fixed): full-text search over title and markdown.
CREATE INDEX human_sops_fts_idx ON human_sops USING gin (
    to_tsvector('english', coalesce(data->>'title', '') || ' ' || coalesce(data->>'markdownContent', ''))
);

-- agent_sops -----------------------------------------------------------------------------------
CREATE TABLE agent_sops (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sop_id              text NOT NULL CONSTRAINT agent_sops_sop_id_key UNIQUE
                        CONSTRAINT agent_sops_sop_id_format CHECK (sop_id ~ '^SOP-[0-9]{3,}$'),
    legacy_id           text CONSTRAINT agent_sops_legacy_id_key UNIQUE,
    -- NULL when the legacy humanSopId pointed nowhere (reported by the migration, not fatal).
    human_sop_id        bigint REFERENCES human_sops (id) ON DELETE SET NULL,
    phase               smallint NOT NULL CONSTRAINT agent_sops_phase_range CHECK (phase BETWEEN 1 AND 5),
    version             integer NOT NULL DEFAULT 1 CONSTRAINT agent_sops_version_positive CHECK (version >= 1),
    is_active           boolean NOT NULL DEFAULT true,
    searchable_content  text,
    last_synced_at      timestamptz,
    data                jsonb NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE agent_sops IS 'Structured SOPs used by the chat (legacy collection agent_sops)';
-- The chat and files-db?type=agent read active agent SOPs by phase.
CREATE INDEX agent_sops_phase_active_idx ON agent_sops (phase, is_active);
-- Joins from an agent SOP to its human SOP.
CREATE INDEX agent_sops_human_sop_id_idx ON agent_sops (human_sop_id);
-- Containment queries, e.g. keywords @> '["risk"]' (seed guide: GIN on data).
CREATE INDEX agent_sops_data_gin ON agent_sops USING gin (data jsonb_path_ops);
-- Full-text search over the agent SOP content (findBestMatch, the chat's retrieval).
CREATE INDEX agent_sops_fts_idx ON agent_sops USING gin (
    to_tsvector('english', coalesce(searchable_content, ''))
);

-- chat_histories -------------------------------------------------------------------------------
CREATE TABLE chat_histories (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id   text NOT NULL CONSTRAINT chat_histories_session_id_key UNIQUE,
    legacy_id    text CONSTRAINT chat_histories_legacy_id_key UNIQUE,
    user_id      text,
    status       text NOT NULL DEFAULT 'active'
                 CONSTRAINT chat_histories_status_vocabulary CHECK (status IN ('active', 'completed', 'abandoned')),
    started_at   timestamptz NOT NULL DEFAULT now(),
    ended_at     timestamptz,
    last_active  timestamptz NOT NULL DEFAULT now(),
    data         jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE chat_histories IS 'Chat sessions with their messages (legacy collection chat_histories)';
-- Recent chats: a user's sessions, most recently active first.
CREATE INDEX chat_histories_user_last_active_idx ON chat_histories (user_id, last_active DESC);
-- Seed guide Phase 6.3: a user's active sessions.
CREATE INDEX chat_histories_user_status_idx ON chat_histories (user_id, status) WHERE status = 'active';
-- Seed guide Phase 6.3: newest active sessions (getActiveSessions).
CREATE INDEX chat_histories_active_started_idx ON chat_histories (started_at DESC) WHERE status = 'active';
-- Session analytics by day.
CREATE INDEX chat_histories_started_at_idx ON chat_histories (started_at);
-- Containment queries on sessions, e.g. sopUsage @> '[{"sopId": "SOP-002"}]' (seed guide: GIN on data).
CREATE INDEX chat_histories_data_gin ON chat_histories USING gin (data jsonb_path_ops);

-- user_feedback (legacy collection userfeedback) -----------------------------------------------
CREATE TABLE user_feedback (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feedback_id  text NOT NULL CONSTRAINT user_feedback_feedback_id_key UNIQUE,
    legacy_id    text CONSTRAINT user_feedback_legacy_id_key UNIQUE,
    session_id   text,
    sop_id       text,
    status       text NOT NULL DEFAULT 'pending'
                 CONSTRAINT user_feedback_status_vocabulary CHECK (status IN ('pending', 'ongoing', 'completed', 'closed')),
    priority     text NOT NULL DEFAULT 'medium'
                 CONSTRAINT user_feedback_priority_vocabulary CHECK (priority IN ('low', 'medium', 'high')),
    data         jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE user_feedback IS 'Gap reports filed from the chat (legacy collection userfeedback)';
-- Gap-report triage list: by status, then priority rank, newest first.
CREATE INDEX user_feedback_status_priority_idx ON user_feedback (status, priority, created_at DESC);
-- Gap reports per SOP and status (analytics bySOP).
CREATE INDEX user_feedback_sop_status_idx ON user_feedback (sop_id, status);
-- Gap reports of one session (conversation viewer).
CREATE INDEX user_feedback_session_idx ON user_feedback (session_id);
-- Newest reports first (recentGaps).
CREATE INDEX user_feedback_created_idx ON user_feedback (created_at DESC);
-- Containment queries on reports (seed guide: GIN on data).
CREATE INDEX user_feedback_data_gin ON user_feedback USING gin (data jsonb_path_ops);

-- message_feedback -----------------------------------------------------------------------------
CREATE TABLE message_feedback (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id  text NOT NULL,
    session_id  text NOT NULL,
    legacy_id   text CONSTRAINT message_feedback_legacy_id_key UNIQUE,
    rating      text NOT NULL
                CONSTRAINT message_feedback_rating_vocabulary CHECK (rating IN ('helpful', 'not_helpful')),
    sop_used    text,
    confidence  double precision,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- One rating per (message, session), as the legacy unique index.
    CONSTRAINT message_feedback_message_session_key UNIQUE (message_id, session_id)
);
COMMENT ON TABLE message_feedback IS 'Thumbs up/down on answers (legacy collection message_feedback)';
-- Ratings of one session (sessionId= mode, reload of ratings in the chat).
CREATE INDEX message_feedback_session_idx ON message_feedback (session_id);
-- Helpfulness by SOP (getSOPStats, stats=all).
CREATE INDEX message_feedback_sop_rating_idx ON message_feedback (sop_used, rating);
-- Confidence-accuracy buckets.
CREATE INDEX message_feedback_confidence_rating_idx ON message_feedback (confidence, rating);
-- Newest ratings first.
CREATE INDEX message_feedback_created_idx ON message_feedback (created_at DESC);
-- Containment queries on ratings (seed guide: GIN on data).
CREATE INDEX message_feedback_data_gin ON message_feedback USING gin (data jsonb_path_ops);

-- change_proposals -----------------------------------------------------------------------------
CREATE TABLE change_proposals (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    proposal_id  text NOT NULL CONSTRAINT change_proposals_proposal_id_key UNIQUE,
    legacy_id    text CONSTRAINT change_proposals_legacy_id_key UNIQUE,
    sop_id       text,
    status       text NOT NULL DEFAULT 'pending_review'
                 CONSTRAINT change_proposals_status_vocabulary CHECK (status IN ('pending_review', 'approved', 'rejected', 'implemented', 'archived')),
    priority     text NOT NULL DEFAULT 'medium'
                 CONSTRAINT change_proposals_priority_vocabulary CHECK (priority IN ('low', 'medium', 'high', 'critical')),
    data         jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE change_proposals IS 'SOP change proposals (legacy collection change_proposals)';
-- Proposal review list: by status, then priority rank, newest first.
CREATE INDEX change_proposals_status_priority_idx ON change_proposals (status, priority, created_at DESC);
-- Proposals of one SOP (findSimilarProposals).
CREATE INDEX change_proposals_sop_idx ON change_proposals (sop_id, status);
-- Containment queries, e.g. tags @> '["template"]' (seed guide: GIN on data).
CREATE INDEX change_proposals_data_gin ON change_proposals USING gin (data jsonb_path_ops);

-- sop_version_histories (legacy collection sop_version_history) ---------------------------------
CREATE TABLE sop_version_histories (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sop_id       text NOT NULL,
    sop_type     text NOT NULL CONSTRAINT sop_version_histories_sop_type_vocabulary CHECK (sop_type IN ('human', 'agent')),
    version      integer NOT NULL CONSTRAINT sop_version_histories_version_positive CHECK (version >= 1),
    legacy_id    text CONSTRAINT sop_version_histories_legacy_id_key UNIQUE,
    change_type  text CONSTRAINT sop_version_histories_change_type_vocabulary CHECK (change_type IN ('create', 'update', 'regenerate', 'rollback')),
    data         jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- Kept (unlike the seed's table) so the shared updated_at trigger works (seed bug, D42).
    updated_at   timestamptz NOT NULL DEFAULT now(),
    -- sopType is part of the key: human and agent versions share numbers (seed bug, D42).
    CONSTRAINT sop_version_histories_sop_type_version_key UNIQUE (sop_id, sop_type, version)
);
COMMENT ON TABLE sop_version_histories IS 'SOP version snapshots (legacy collection sop_version_history)';
-- Version history of one SOP, newest first (getHistory).
CREATE INDEX sop_version_histories_sop_created_idx ON sop_version_histories (sop_id, created_at DESC);
-- Containment queries on snapshots (seed guide: GIN on data).
CREATE INDEX sop_version_histories_data_gin ON sop_version_histories USING gin (data jsonb_path_ops);

-- users ----------------------------------------------------------------------------------------
CREATE TABLE users (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     text NOT NULL CONSTRAINT users_user_id_key UNIQUE,
    legacy_id   text CONSTRAINT users_legacy_id_key UNIQUE,
    email       text NOT NULL,
    role        text NOT NULL DEFAULT 'user'
                CONSTRAINT users_role_vocabulary CHECK (role IN ('user', 'admin', 'viewer')),
    is_active   boolean NOT NULL DEFAULT true,
    last_login  timestamptz,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE users IS 'People who use PMO Playbook (legacy collection users)';
-- Login looks users up by email, case-insensitively; one account per address.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
-- findActiveByRole and the admin user list.
CREATE INDEX users_role_active_idx ON users (role, is_active);
-- Containment queries on user documents (seed guide: GIN on data).
CREATE INDEX users_data_gin ON users USING gin (data jsonb_path_ops);

-- updated_at triggers ----------------------------------------------------------------------------
CREATE TRIGGER projects_set_updated_at BEFORE UPDATE ON projects
    FOR EACH ROW EXECUTE FUNCTION pmo_set_updated_at();
CREATE TRIGGER human_sops_set_updated_at BEFORE UPDATE ON human_sops
    FOR EACH ROW EXECUTE FUNCTION pmo_set_updated_at();
CREATE TRIGGER agent_sops_set_updated_at BEFORE UPDATE ON agent_sops
    FOR EACH ROW EXECUTE FUNCTION pmo_set_updated_at();
CREATE TRIGGER chat_histories_set_updated_at BEFORE UPDATE ON chat_histories
    FOR EACH ROW EXECUTE FUNCTION pmo_set_updated_at();
CREATE TRIGGER user_feedback_set_updated_at BEFORE UPDATE ON user_feedback
    FOR EACH ROW EXECUTE FUNCTION pmo_set_updated_at();
CREATE TRIGGER message_feedback_set_updated_at BEFORE UPDATE ON message_feedback
    FOR EACH ROW EXECUTE FUNCTION pmo_set_updated_at();
CREATE TRIGGER change_proposals_set_updated_at BEFORE UPDATE ON change_proposals
    FOR EACH ROW EXECUTE FUNCTION pmo_set_updated_at();
CREATE TRIGGER sop_version_histories_set_updated_at BEFORE UPDATE ON sop_version_histories
    FOR EACH ROW EXECUTE FUNCTION pmo_set_updated_at();
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION pmo_set_updated_at();
