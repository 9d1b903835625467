-- 0018 one-time secrets: a generated password or a new API token shown once, after a redirect.
--
-- The admin users page answers a POST that makes a secret with a 303 to GET /admin/users, so a
-- reload never repeats the POST. The secret crosses the redirect split in two: this row holds
-- it XOR-ed with a random pad of the same length, the pad travels in a short-lived HttpOnly
-- cookie. Neither half alone reveals anything, and the first GET deletes the row, so the
-- secret can be shown exactly once (a reload finds nothing).

CREATE TABLE one_time_secrets (
    id          text PRIMARY KEY,
    user_id     text NOT NULL,
    label       text NOT NULL,
    notice      text NOT NULL,
    sealed      bytea NOT NULL,
    expires_at  timestamptz NOT NULL
);
COMMENT ON TABLE one_time_secrets IS 'Secrets shown once after a redirect (sealed with a one-time pad kept in a cookie)';
CREATE INDEX one_time_secrets_expires_idx ON one_time_secrets (expires_at);
