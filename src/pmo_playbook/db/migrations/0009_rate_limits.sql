-- 0009: the chat rate limit in PostgreSQL, shared by every worker process and replica
-- (it was per process: N workers let N times the limit through). One row per limited key
-- (user:<id>, ip:<address>, session:<id>) holding its GCRA "theoretical arrival time": a hit
-- is allowed while tat - now() <= window - window/limit, and moves tat by window/limit.
-- That allows `limit` hits at once, then one per window/limit seconds. Rows whose tat has
-- passed carry no state and are deleted now and then by the limiter itself.

CREATE TABLE rate_limits (
    key  text PRIMARY KEY,
    tat  timestamptz NOT NULL
);
COMMENT ON TABLE rate_limits IS 'Shared rate limits (chat): GCRA theoretical arrival time per key';
