"""How many pooled connections each `pmo serve` worker gets, from a total connection budget.

Every worker process has its own pool, so N workers hold up to N × pool size connections. The
budget is what this server may hold in total: `PMO_DB_CONNECTION_BUDGET`, or by default half of
the connections the database server grants ordinary roles (max_connections minus the reserved
slots), leaving the other half for other replicas, `pmo migrate`, backups and psql. A worker
gains nothing from more connections than it can keep busy (requests are CPU-bound in Python on a
small machine), hence the cap; an explicit `PMO_DB_POOL_MAX` wins over all of this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

DEFAULT_POOL_MAX = 10  # per process, when nothing says otherwise (tests, one-process use)
POOL_CAP = 10


@dataclass(frozen=True)
class PoolPlan:
    """The pool size per worker and where it came from (shown by `pmo serve`)."""

    per_worker: int
    budget: int
    source: str


def usable_connections(conn: psycopg.Connection[Any]) -> int:
    """Connections the server grants non-superusers: max_connections minus the reserved slots."""
    row = conn.execute(
        "SELECT current_setting('max_connections')::int"
        " - current_setting('superuser_reserved_connections')::int"
        " - coalesce(current_setting('reserved_connections', true), '0')::int"
    ).fetchone()
    return int(row[0]) if row else 0


def plan_pool(
    workers: int, *, usable: int | None, budget: int | None, pool_max: int | None
) -> PoolPlan:
    """Per-worker pool size for `workers` processes (at least 1)."""
    workers = max(1, workers)
    if pool_max is not None:
        return PoolPlan(pool_max, pool_max * workers, "PMO_DB_POOL_MAX")
    if budget is not None:
        source = "PMO_DB_CONNECTION_BUDGET"
    elif usable is not None:
        budget, source = max(1, usable // 2), "half of the server's max_connections"
    else:
        budget, source = DEFAULT_POOL_MAX * workers, "default"
    return PoolPlan(max(1, min(POOL_CAP, budget // workers)), budget, source)
