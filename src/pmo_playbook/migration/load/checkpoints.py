"""Runs and checkpoints: where a migration stands, committed with the batch it covers.

A run is identified by the source's fingerprint (kind, description, collection names and
`--include-unmapped`; NOT counts or sizes, so a file fixed after a failure still resumes).
Starting a run resumes the newest unfinished run of the same fingerprint (killed: 'running';
aborted by an error: 'failed'), otherwise opens a new one; a finished migration is re-run from
the start and the upsert reports every row as unchanged. A file source resumes by index only
after checking that the document just before the resume point still has the checkpoint's last
`_id` (run_guard.py); otherwise that collection starts over.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from pmo_playbook.migration.sources.base import Source, SourceCollection

_FIND_OPEN_RUN = (
    "SELECT id FROM migration_runs WHERE source_fingerprint = %s "
    "AND status IN ('running', 'failed') ORDER BY started_at DESC, id DESC LIMIT 1"
)
_LAST_FINISHED = (
    "SELECT id, finished_at FROM migration_runs WHERE source_fingerprint = %s "
    "AND status = 'finished' ORDER BY finished_at DESC, id DESC LIMIT 1"
)
_REOPEN_RUN = "UPDATE migration_runs SET status = 'running', finished_at = NULL WHERE id = %s"
_NEW_RUN = (
    "INSERT INTO migration_runs (source_fingerprint, source_kind, source_description, "
    "include_unmapped) VALUES (%s, %s, %s, %s) RETURNING id"
)
_FINISH_RUN = (
    "UPDATE migration_runs SET status = %s, finished_at = now(), report = %s WHERE id = %s"
)
_CHECKPOINTS = (
    "SELECT collection, next_index, last_legacy_id, read, inserted, updated, unchanged, "
    "quarantined, identical, different, dangling_refs, seconds, done "
    "FROM migration_checkpoints WHERE run_id = %s"
)
_SAVE = """
INSERT INTO migration_checkpoints AS c (run_id, collection, next_index, last_legacy_id, read,
    inserted, updated, unchanged, quarantined, identical, different, dangling_refs, seconds, done)
VALUES (%(run_id)s, %(collection)s, %(next_index)s, %(last_legacy_id)s, %(read)s, %(inserted)s,
    %(updated)s, %(unchanged)s, %(quarantined)s, %(identical)s, %(different)s, %(dangling_refs)s,
    %(seconds)s, %(done)s)
ON CONFLICT (run_id, collection) DO UPDATE SET next_index = EXCLUDED.next_index,
    last_legacy_id = EXCLUDED.last_legacy_id, read = EXCLUDED.read,
    inserted = EXCLUDED.inserted, updated = EXCLUDED.updated, unchanged = EXCLUDED.unchanged,
    quarantined = EXCLUDED.quarantined, identical = EXCLUDED.identical,
    different = EXCLUDED.different, dangling_refs = EXCLUDED.dangling_refs,
    seconds = EXCLUDED.seconds, done = EXCLUDED.done, updated_at = now()
"""
_COUNTERS = (
    "read", "inserted", "updated", "unchanged", "quarantined", "identical", "different",
    "dangling_refs",
)  # fmt: skip


@dataclass
class Checkpoint:
    """Progress of one collection within one run."""

    collection: str
    next_index: int = 0
    last_legacy_id: str | None = None
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    identical: int = 0
    different: int = 0
    dangling_refs: int = 0
    seconds: float = 0.0
    done: bool = False

    def add(self, other: dict[str, int]) -> None:
        """Add one batch's counters."""
        for name in _COUNTERS:
            setattr(self, name, getattr(self, name) + other.get(name, 0))


def fingerprint(source: Source, collections: list[SourceCollection], unmapped: bool) -> str:
    """A stable identity of the source and options: same input → same run to resume."""
    parts = [source.kind, source.description, str(unmapped)]
    parts += [c.name for c in collections]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def last_finished_run(conn: psycopg.Connection[Any], fp: str) -> tuple[int, datetime] | None:
    """(id, finished_at) of the newest finished run of this fingerprint, if any."""
    row = conn.execute(_LAST_FINISHED, (fp,)).fetchone()
    return (int(row[0]), row[1]) if row else None


def has_open_run(conn: psycopg.Connection[Any], fp: str) -> bool:
    """Whether a run of this fingerprint was killed or failed (the next run resumes it)."""
    return conn.execute(_FIND_OPEN_RUN, (fp,)).fetchone() is not None


def tables_with_rows(conn: psycopg.Connection[Any], tables: list[str]) -> list[str]:
    """Those of `tables` that hold at least one row (a database already in use)."""
    found = []
    for table in tables:
        query = sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(table))
        if conn.execute(query).fetchone() == (True,):
            found.append(table)
    return found


def open_run(
    conn: psycopg.Connection[Any], source: Source, fp: str, include_unmapped: bool
) -> tuple[int, bool, dict[str, Checkpoint]]:
    """Resume the newest unfinished run of this source, or start one (committed at once)."""
    with conn.transaction():
        row = conn.execute(_FIND_OPEN_RUN, (fp,)).fetchone()
        if row is not None:
            run_id = int(row[0])
            conn.execute(_REOPEN_RUN, (run_id,))
            points = {}
            for r in conn.execute(_CHECKPOINTS, (run_id,)).fetchall():
                points[r[0]] = Checkpoint(*r)
            return run_id, True, points
        new = conn.execute(
            _NEW_RUN, (fp, source.kind, source.description, include_unmapped)
        ).fetchone()
        assert new is not None
        return int(new[0]), False, {}


def save(conn: psycopg.Connection[Any], run_id: int, point: Checkpoint) -> None:
    """Write the checkpoint inside the caller's (batch) transaction."""
    params = {"run_id": run_id, **point.__dict__}
    conn.execute(_SAVE, params)


def finish_run(
    conn: psycopg.Connection[Any], run_id: int, status: str, report: dict[str, Any]
) -> None:
    """Mark the run finished (the load completed; a later run starts over) or failed."""
    with conn.transaction():
        conn.execute(_FINISH_RUN, (status, Jsonb(report, dumps=_dumps), run_id))


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()
