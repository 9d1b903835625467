"""SQL of `login_attempts`: login attempts per account and per client IP, counted BEFORE the
password is checked, in one statement each, so parallel guesses cannot pass the limit.

`failures` counts the attempts of the current window that did not succeed (an attempt is
counted when it starts; a success takes its count back). An attempt is allowed while the count,
including itself, stays within the limit; the one that reaches the limit locks the key for the
lockout period, and every later attempt in that period is refused without a password check.
"""

from __future__ import annotations

from typing import Any

from pmo_playbook.documents.users import LoginLock
from pmo_playbook.repositories.base import Repository

# "Fresh": no active lock and the window is over, or the lock has expired: count from 1.
_RESERVE = """
INSERT INTO login_attempts AS a (scope, key, failures, first_failure_at, locked_until)
VALUES (%(scope)s, %(key)s, 1, now(),
        CASE WHEN 1 >= %(max)s THEN now() + make_interval(secs => %(lockout)s) END)
ON CONFLICT (scope, key) DO UPDATE SET
    failures = CASE WHEN (a.locked_until IS NULL
                          AND a.first_failure_at < now() - make_interval(secs => %(lockout)s))
                      OR a.locked_until <= now() THEN 1 ELSE a.failures + 1 END,
    first_failure_at = CASE
        WHEN (a.locked_until IS NULL
              AND a.first_failure_at < now() - make_interval(secs => %(lockout)s))
          OR a.locked_until <= now() THEN now() ELSE a.first_failure_at END,
    locked_until = CASE
        WHEN (a.locked_until IS NULL
              AND a.first_failure_at < now() - make_interval(secs => %(lockout)s))
          OR a.locked_until <= now()
        THEN CASE WHEN 1 >= %(max)s THEN now() + make_interval(secs => %(lockout)s) END
        WHEN a.locked_until IS NOT NULL THEN a.locked_until
        WHEN a.failures + 1 >= %(max)s THEN now() + make_interval(secs => %(lockout)s)
        ELSE NULL END
RETURNING scope, key, failures, locked_until
"""
# A successful attempt takes back its own count (and a lock it alone caused).
_RELEASE = """
UPDATE login_attempts SET failures = greatest(failures - 1, 0),
       locked_until = CASE WHEN failures - 1 < %(max)s THEN NULL ELSE locked_until END
 WHERE scope = %(scope)s AND key = %(key)s
"""
_CLEAR = "DELETE FROM login_attempts WHERE scope = %s AND key = %s"


class LoginAttemptRepository(Repository):
    """Login attempt counters and lockouts."""

    subject = "login attempts"

    def _one(self, query: str, params: Any) -> dict[str, Any] | None:
        return self._dict(query, params)

    def reserve(
        self, scope: str, key: str, *, max_failures: int, lockout_seconds: int
    ) -> LoginLock:
        """Count one attempt; the returned `failures` > `max_failures` means refused."""
        params = {"scope": scope, "key": key, "max": max_failures, "lockout": lockout_seconds}
        row = self._one(_RESERVE, params)
        assert row is not None
        return LoginLock(**row)

    def release(self, scope: str, key: str, *, max_failures: int) -> None:
        """Take back one counted attempt (it succeeded)."""
        self._one(_RELEASE, {"scope": scope, "key": key, "max": max_failures})

    def clear(self, scope: str, key: str) -> None:
        self._one(_CLEAR, (scope, key))
