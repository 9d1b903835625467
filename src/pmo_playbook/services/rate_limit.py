"""Rate limits for expensive endpoints (the chat, D5): a small interface, one in-memory backend.

`SlidingWindowLimiter` counts hits per key over the last `window` seconds. It is per process:
behind several workers each enforces its own limit (documented in docs/chat.md); a shared
backend (e.g. a PostgreSQL table) can implement the same `RateLimiter` protocol later.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from pmo_playbook.errors import RateLimited


class RateLimiter(Protocol):
    """Record one hit for every key, or refuse them all (nothing recorded) when one is over."""

    def check(self, keys: list[str]) -> float | None:
        """None when allowed (and counted); else seconds until the next hit would be allowed."""
        ...


class SlidingWindowLimiter:
    """At most `limit` hits per key in any `window`-second interval (thread-safe)."""

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, keys: list[str]) -> float | None:
        if self.limit <= 0:
            return None
        now = self.clock()
        with self._lock:
            waits = []
            for key in keys:
                hits = self._hits.setdefault(key, deque())
                while hits and hits[0] <= now - self.window:
                    hits.popleft()
                if len(hits) >= self.limit:
                    waits.append(hits[0] + self.window - now)
            if waits:
                return max(waits)
            for key in keys:
                self._hits[key].append(now)
            self._forget_idle(now)
        return None

    def _forget_idle(self, now: float) -> None:
        """Drop keys with no hit in the window (bounded memory)."""
        if len(self._hits) > 10_000:
            for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
                del self._hits[key]


def enforce(limiter: RateLimiter, keys: list[str]) -> None:
    """Raise RateLimited (429, details.retryAfter in whole seconds) when any key is over."""
    wait = limiter.check(keys)
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        raise RateLimited(
            f"Too many chat messages; try again in {seconds} s.",
            details={"retryAfter": seconds},
        )
