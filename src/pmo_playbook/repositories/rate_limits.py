"""SQL of `rate_limits`: one GCRA arrival time per key, checked and advanced under row locks."""

from __future__ import annotations

from datetime import datetime

from pmo_playbook.repositories.base import Repository

_ENSURE = """
INSERT INTO rate_limits (key, tat) SELECT k, now() FROM unnest(%s::text[]) AS k
ON CONFLICT (key) DO NOTHING
"""
# Locked in key order, so two requests sharing keys never deadlock.
_LOCK = """
SELECT key, greatest(tat, now()) AS tat, now() AS now FROM rate_limits
 WHERE key = ANY(%s::text[]) ORDER BY key FOR UPDATE
"""
_ADVANCE = """
UPDATE rate_limits SET tat = greatest(tat, now()) + make_interval(secs => %s)
 WHERE key = ANY(%s::text[])
"""
_PURGE = "DELETE FROM rate_limits WHERE tat < now() - interval '1 minute'"


class RateLimitRepository(Repository):
    """Shared rate-limit state."""

    subject = "rate limits"

    def lock(self, keys: list[str]) -> list[tuple[str, datetime, datetime]]:
        """(key, arrival time, now) of every key, created when missing, locked until commit."""
        self._execute(_ENSURE, (keys,))
        return [(row[0], row[1], row[2]) for row in self._execute(_LOCK, (keys,)).fetchall()]

    def advance(self, keys: list[str], seconds: float) -> None:
        self._execute(_ADVANCE, (seconds, keys))

    def purge_idle(self) -> int:
        """Delete keys whose limit has fully recovered (they carry no state)."""
        return self._execute(_PURGE).rowcount
