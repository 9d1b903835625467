-- 0010 audit log: who did what to which user, token, SOP or proposal, and when.
--
-- Written by the services in the same transaction as the change it records, so an entry exists
-- exactly when the change was committed. Details never hold secrets (no passwords, no tokens:
-- a token is named by its id and display prefix).

CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL,
    action       text NOT NULL,
    target_type  text NOT NULL,
    target_id    text NOT NULL,
    details      jsonb NOT NULL DEFAULT '{}'::jsonb
);
COMMENT ON TABLE audit_log IS 'Admin actions (users, tokens, SOPs, proposals): actor, action, target, time';
-- The admin audit page lists the newest entries, optionally for one target.
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, at DESC);
