"""The quarantine: documents that could not be stored, kept with their original EJSON and reason.

One open entry per (collection, legacy_id): a re-run refreshes it instead of adding a duplicate,
and the loader marks it resolved as soon as the document is stored (by a later run or `retry`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from pmo_playbook.errors import NotFound
from pmo_playbook.migration.staging import STAGE

_RECORD = """
INSERT INTO migration_quarantine AS q (run_id, collection, target_table, legacy_id, doc_id,
    document, reason, position)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (collection, legacy_id) WHERE resolved_at IS NULL DO UPDATE SET
    run_id = EXCLUDED.run_id, target_table = EXCLUDED.target_table, doc_id = EXCLUDED.doc_id,
    document = EXCLUDED.document, reason = EXCLUDED.reason, position = EXCLUDED.position,
    seen_at = now()
"""
_RESOLVE_STAGED = sql.SQL(
    "UPDATE migration_quarantine q SET resolved_at = now(), resolved_run_id = %s "
    "FROM {} s WHERE q.collection = %s AND q.resolved_at IS NULL AND q.legacy_id = s.legacy_id"
).format(STAGE)
_OPEN_IDS = (
    "SELECT legacy_id FROM migration_quarantine WHERE collection = %s AND resolved_at IS NULL "
    "ORDER BY id"
)
_LIST = (
    "SELECT id, run_id, collection, target_table, legacy_id, doc_id, document, reason, position, "
    "created_at, resolved_at FROM migration_quarantine "
    "WHERE (%s OR resolved_at IS NULL) ORDER BY id"
)
_SHOW = (
    "SELECT id, run_id, collection, target_table, legacy_id, doc_id, document, reason, position, "
    "created_at, resolved_at FROM migration_quarantine WHERE id = %s"
)


@dataclass(frozen=True)
class Entry:
    """A document to quarantine (before it is written)."""

    collection: str
    target_table: str | None
    legacy_id: str
    doc_id: str | None
    document: str  # canonical Extended JSON
    reason: str
    position: str


@dataclass(frozen=True)
class QuarantinedDocument:
    """A stored quarantine row."""

    id: int
    run_id: int | None
    collection: str
    target_table: str | None
    legacy_id: str
    doc_id: str | None
    document: str
    reason: str
    position: str | None
    created_at: datetime
    resolved_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["created_at"] = self.created_at.isoformat()
        data["resolved_at"] = self.resolved_at.isoformat() if self.resolved_at else None
        return data


def record(conn: psycopg.Connection[Any], run_id: int | None, entries: list[Entry]) -> None:
    """Write entries in the caller's transaction (one pipelined statement batch)."""
    if not entries:
        return
    with conn.cursor() as cur:
        cur.executemany(
            _RECORD,
            [
                (run_id, e.collection, e.target_table, e.legacy_id, e.doc_id, e.document,
                 e.reason, e.position)
                for e in entries
            ],
        )  # fmt: skip


def resolve_staged(conn: psycopg.Connection[Any], run_id: int | None, collection: str) -> None:
    """Mark resolved every open entry whose document is in the staging table (now stored)."""
    conn.execute(_RESOLVE_STAGED, (run_id, collection))


def open_ids(conn: psycopg.Connection[Any], collection: str) -> list[str]:
    """Legacy ids of the open entries of one collection."""
    return [r[0] for r in conn.execute(_OPEN_IDS, (collection,)).fetchall()]


def list_entries(
    conn: psycopg.Connection[Any], *, include_resolved: bool = False
) -> list[QuarantinedDocument]:
    return [QuarantinedDocument(*r) for r in conn.execute(_LIST, (include_resolved,)).fetchall()]


def get_entry(conn: psycopg.Connection[Any], entry_id: int) -> QuarantinedDocument:
    row = conn.execute(_SHOW, (entry_id,)).fetchone()
    if row is None:
        raise NotFound(f"no quarantine entry {entry_id}")
    return QuarantinedDocument(*row)
