"""Rate limits for expensive endpoints (the chat, D5), kept in PostgreSQL.

The state is shared by every worker and replica on the database (a per-process limiter let N
workers through N times the limit). The algorithm is GCRA: `limit` hits at once, then one
every `window / limit` seconds; a refused hit changes nothing. Several keys (the user or client
address, and the chat session) are checked together: all are counted, or none.

The caller commits right after `check`: the row locks taken must not be held while the chat
answers (every anonymous client behind one address shares a key).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import psycopg

from pmo_playbook.errors import RateLimited
from pmo_playbook.repositories.rate_limits import RateLimitRepository

_PURGE_ONE_IN = 500  # calls; cleaning up recovered keys now and then keeps the table small


@dataclass(frozen=True)
class RateLimiter:
    """At most `limit` hits per key at once, `limit` per `window` seconds on average."""

    limit: int
    window: float = 60.0

    def check(self, conn: psycopg.Connection[Any], keys: list[str]) -> float | None:
        """None when allowed (and counted); else seconds until the next hit would be allowed."""
        if self.limit <= 0 or not keys:
            return None
        interval = self.window / self.limit
        tolerance = self.window - interval
        repo = RateLimitRepository(conn)
        rows = repo.lock(sorted(set(keys)))
        waits = [(tat - now).total_seconds() - tolerance for _key, tat, now in rows]
        if any(wait > 0 for wait in waits):
            return max(waits)
        repo.advance(sorted(set(keys)), interval)
        if random.randrange(_PURGE_ONE_IN) == 0:  # noqa: S311 - not security relevant
            repo.purge_idle()
        return None


def enforce(limiter: RateLimiter, conn: psycopg.Connection[Any], keys: list[str]) -> None:
    """Raise RateLimited (429, details.retryAfter in whole seconds) when any key is over."""
    wait = limiter.check(conn, keys)
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        raise RateLimited(
            f"Too many chat messages; try again in {seconds} s.",
            details={"retryAfter": seconds},
        )
