"""SQL of `login_attempts`: failed logins per account and per client IP, in one statement each
so concurrent attempts cannot lose a count."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from pmo_playbook.documents.users import LoginLock
from pmo_playbook.errors import StorageError

_LOCKED = """
SELECT scope, key, failures, locked_until FROM login_attempts
 WHERE scope = %s AND key = %s AND locked_until > now()
"""
# A failure inside the window adds one; an old window (or an expired lock) starts over. Reaching
# `max_failures` locks the key for `lockout` seconds.
_RECORD_FAILURE = """
INSERT INTO login_attempts AS a (scope, key, failures, first_failure_at, locked_until)
VALUES (%(scope)s, %(key)s, 1, now(),
        CASE WHEN 1 >= %(max)s THEN now() + make_interval(secs => %(lockout)s) END)
ON CONFLICT (scope, key) DO UPDATE SET
    failures = CASE WHEN a.first_failure_at < now() - make_interval(secs => %(lockout)s)
                      OR a.locked_until <= now() THEN 1 ELSE a.failures + 1 END,
    first_failure_at = CASE WHEN a.first_failure_at < now() - make_interval(secs => %(lockout)s)
                              OR a.locked_until <= now() THEN now() ELSE a.first_failure_at END,
    locked_until = CASE
        WHEN (CASE WHEN a.first_failure_at < now() - make_interval(secs => %(lockout)s)
                     OR a.locked_until <= now() THEN 1 ELSE a.failures + 1 END) >= %(max)s
        THEN now() + make_interval(secs => %(lockout)s) ELSE NULL END
RETURNING scope, key, failures, locked_until
"""
_CLEAR = "DELETE FROM login_attempts WHERE scope = %s AND key = %s"


class LoginAttemptRepository:
    """Failed-login counters and lockouts."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def _one(self, query: str, params: Any) -> dict[str, Any] | None:
        try:
            with self.conn.cursor(row_factory=dict_row) as cur:
                cur.execute(query, params)
                return cur.fetchone() if cur.description else None
        except psycopg.Error as exc:
            raise StorageError(f"login_attempts query failed: {type(exc).__name__}") from exc

    def active_lock(self, scope: str, key: str) -> LoginLock | None:
        row = self._one(_LOCKED, (scope, key))
        return None if row is None else LoginLock(**row)

    def record_failure(
        self, scope: str, key: str, *, max_failures: int, lockout_seconds: int
    ) -> LoginLock:
        params = {"scope": scope, "key": key, "max": max_failures, "lockout": lockout_seconds}
        row = self._one(_RECORD_FAILURE, params)
        assert row is not None
        return LoginLock(**row)

    def clear(self, scope: str, key: str) -> None:
        self._one(_CLEAR, (scope, key))
