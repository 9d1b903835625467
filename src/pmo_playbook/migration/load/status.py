"""Where migrations stand: the writer lock, recent runs with their checkpoints, the quarantine.

For `pmo migrate status`: an operator watching a long run from another terminal or machine, or
finding out after a failure where a run stopped and what the next run will do. Read only.
A run recorded as 'running' while no session holds the writer lock was killed (or lost its
connection): the next `pmo migrate run` of the same source resumes it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from pmo_playbook.migration.load import deferred_indexes
from pmo_playbook.migration.load.exclusive import Holder, current_holder

_RUNS = (
    "SELECT id, status, source_kind, source_description, started_at, finished_at "
    "FROM migration_runs ORDER BY id DESC LIMIT %s"
)
_CHECKPOINTS = (
    "SELECT run_id, collection, next_index, inserted, updated, unchanged, quarantined, done, "
    "updated_at FROM migration_checkpoints WHERE run_id = ANY(%s) ORDER BY run_id, collection"
)
_OPEN_QUARANTINE = (
    "SELECT collection, count(*) FROM migration_quarantine WHERE resolved_at IS NULL "
    "GROUP BY collection ORDER BY collection"
)


@dataclass
class CollectionProgress:
    collection: str
    handled: int  # documents of the source handled so far (the resume point)
    inserted: int
    updated: int
    unchanged: int
    quarantined: int
    done: bool
    checkpoint_at: datetime


@dataclass
class RunStatus:
    id: int
    status: str  # running | finished | failed, as recorded
    source_kind: str
    source: str
    started_at: datetime
    finished_at: datetime | None
    live: bool = False  # a writer holds the lock for this very run now
    collections: list[CollectionProgress] = field(default_factory=list)

    @property
    def state(self) -> str:
        """What the recorded status means now."""
        if self.status == "running" and not self.live:
            return "interrupted (killed or disconnected): the next run of this source resumes it"
        if self.status == "failed":
            return "failed: the next run of this source resumes it"
        return self.status


@dataclass
class MigrationStatus:
    writer: Holder | None  # who holds the writer lock now (None: free)
    runs: list[RunStatus]
    open_quarantine: dict[str, int]
    missing_indexes: list[tuple[str, str]]

    def as_json(self) -> dict[str, Any]:
        runs = []
        for run in self.runs:
            data = asdict(run)
            data["state"] = run.state
            runs.append(data)
        return {
            "writer": str(self.writer) if self.writer else None,
            "runs": runs,
            "open_quarantine": self.open_quarantine,
            "missing_indexes": [{"index": i, "table": t} for i, t in self.missing_indexes],
        }


def migration_status(conn: psycopg.Connection[Any], limit: int = 5) -> MigrationStatus:
    """The newest `limit` runs and everything else `pmo migrate status` shows (read only)."""
    writer = current_holder(conn)
    runs = [RunStatus(*row) for row in conn.execute(_RUNS, (limit,)).fetchall()]
    by_id = {run.id: run for run in runs}
    for row in conn.execute(_CHECKPOINTS, ([run.id for run in runs],)).fetchall():
        by_id[row[0]].collections.append(CollectionProgress(*row[1:]))
    for run in runs:
        run.live = writer is not None and writer.run_id == run.id
    open_quarantine = {str(c): int(n) for c, n in conn.execute(_OPEN_QUARANTINE).fetchall()}
    return MigrationStatus(writer, runs, open_quarantine, deferred_indexes.missing(conn))
