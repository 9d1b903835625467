-- 0005 authentication: password hashes, API tokens, login sessions, failed-login tracking.
--
-- Secrets never live in users.data: the reverse export writes `data` back to MongoDB, so the
-- password hash gets its own column and tokens/sessions their own tables. Only SHA-256 digests
-- of API tokens and session ids are stored; the raw values exist only in the client's hands.

ALTER TABLE users ADD COLUMN password_hash text;
ALTER TABLE users ADD COLUMN password_changed_at timestamptz;
COMMENT ON COLUMN users.password_hash IS 'argon2id hash (PHC string); NULL = cannot log in with a password';

-- api_tokens --------------------------------------------------------------------------------------
CREATE TABLE api_tokens (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       text NOT NULL REFERENCES users (user_id) ON DELETE CASCADE ON UPDATE CASCADE,
    name          text NOT NULL,
    prefix        text NOT NULL,
    token_hash    text NOT NULL CONSTRAINT api_tokens_token_hash_key UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
COMMENT ON TABLE api_tokens IS 'Bearer tokens for the API: sha256 of the token, never the token';
-- `pmo users tokens EMAIL` lists a user's tokens.
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);
-- `pmo users revoke-token PREFIX` finds a token by its displayed prefix.
CREATE INDEX api_tokens_prefix_idx ON api_tokens (prefix);

-- login_sessions ----------------------------------------------------------------------------------
CREATE TABLE login_sessions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_hash  text NOT NULL CONSTRAINT login_sessions_session_hash_key UNIQUE,
    user_id       text NOT NULL REFERENCES users (user_id) ON DELETE CASCADE ON UPDATE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
COMMENT ON TABLE login_sessions IS 'Server-side login sessions: sha256 of the cookie value';
-- Logging a user out everywhere (password change) deletes their sessions.
CREATE INDEX login_sessions_user_idx ON login_sessions (user_id);
-- Purging expired sessions.
CREATE INDEX login_sessions_expires_idx ON login_sessions (expires_at);

-- login_attempts ----------------------------------------------------------------------------------
CREATE TABLE login_attempts (
    scope             text NOT NULL CONSTRAINT login_attempts_scope_vocabulary
                      CHECK (scope IN ('account', 'ip')),
    key               text NOT NULL,
    failures          integer NOT NULL DEFAULT 0,
    first_failure_at  timestamptz NOT NULL DEFAULT now(),
    locked_until      timestamptz,
    PRIMARY KEY (scope, key)
);
COMMENT ON TABLE login_attempts IS 'Failed logins per account (lowercased email) and per client IP';
