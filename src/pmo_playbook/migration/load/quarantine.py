"""The quarantine: documents that could not be stored, kept with their original EJSON and reason.

One open entry per (collection, legacy_id): a re-run refreshes it instead of adding a duplicate,
and the loader marks it resolved as soon as the document is stored (by a later run or `retry`).

The original document is kept as canonical Extended JSON. When canonical EJSON cannot represent
it exactly (duplicate keys, invalid UTF-8: the codec refuses such documents), the entry also
keeps the exact BSON bytes (base64, `document_bson_base64`, migration 0006) and `document` holds
a best-effort rendering for people: nothing is ever lost. `document_forms(raw)` decides.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from pmo_playbook.errors import NotFound
from pmo_playbook.migration.load.entry import Entry
from pmo_playbook.migration.load.staging import STAGE

_RECORD = """
INSERT INTO migration_quarantine AS q (run_id, collection, target_table, legacy_id, doc_id,
    document, reason, position, document_bson_base64)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (collection, legacy_id) WHERE resolved_at IS NULL DO UPDATE SET
    run_id = EXCLUDED.run_id, target_table = EXCLUDED.target_table, doc_id = EXCLUDED.doc_id,
    document = EXCLUDED.document, reason = EXCLUDED.reason, position = EXCLUDED.position,
    document_bson_base64 = EXCLUDED.document_bson_base64, seen_at = now()
"""
_RESOLVE_STAGED = sql.SQL(
    "UPDATE migration_quarantine q SET resolved_at = now(), resolved_run_id = %s, "
    "resolution = 'stored' FROM {} s "
    "WHERE q.collection = %s AND q.resolved_at IS NULL AND q.legacy_id = s.legacy_id"
).format(STAGE)
_OPEN_IDS = (
    "SELECT legacy_id FROM migration_quarantine WHERE collection = %s AND resolved_at IS NULL "
    "ORDER BY id"
)
# Open entries whose document the run did not read: deleted in the source since they were
# quarantined. Two signs, both required: the run did not quarantine the document again (every
# run re-reads the whole source, and re-quarantining refreshes the entry's run_id), and no
# document with the entry's `_id` was read (a later duplicate's entry carries its position in
# its legacy_id, so for those only the first sign speaks).
_GONE_WHERE = sql.SQL("""
 WHERE q.collection = %(collection)s AND q.resolved_at IS NULL
   AND q.run_id IS DISTINCT FROM %(run_id)s
   AND NOT EXISTS (SELECT 1 FROM migration_run_documents d WHERE d.run_id = %(run_id)s
       AND d.collection = q.collection AND d.legacy_id = q.legacy_id)
""")
_GONE_IDS = sql.SQL("SELECT q.legacy_id FROM migration_quarantine q {} ORDER BY q.id").format(
    _GONE_WHERE
)
_RESOLVE_GONE = sql.SQL(
    "UPDATE migration_quarantine AS q SET resolved_at = now(), resolved_run_id = %(run_id)s, "
    "resolution = 'gone from the source' {}"
).format(_GONE_WHERE)
_LIST = (
    "SELECT id, run_id, collection, target_table, legacy_id, doc_id, document, reason, position, "
    "created_at, resolved_at, document_bson_base64, resolution FROM migration_quarantine "
    "WHERE (%s OR resolved_at IS NULL) ORDER BY id"
)
_SHOW = (
    "SELECT id, run_id, collection, target_table, legacy_id, doc_id, document, reason, position, "
    "created_at, resolved_at, document_bson_base64, resolution FROM migration_quarantine "
    "WHERE id = %s"
)
_RESOLVE = (
    "UPDATE migration_quarantine SET resolved_at = now(), resolved_run_id = %s, "
    "resolution = 'stored' WHERE id = %s AND resolved_at IS NULL"
)


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
    document_bson_base64: str | None = None
    resolution: str | None = None  # 'stored' or 'gone from the source' once resolved

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
                 e.reason, e.position, e.document_bson_base64)
                for e in entries
            ],
        )  # fmt: skip


def resolve_staged(conn: psycopg.Connection[Any], run_id: int | None, collection: str) -> None:
    """Mark resolved every open entry whose document is in the staging table (now stored)."""
    conn.execute(_RESOLVE_STAGED, (run_id, collection))


def open_ids(conn: psycopg.Connection[Any], collection: str) -> list[str]:
    """Legacy ids of the open entries of one collection."""
    return [r[0] for r in conn.execute(_OPEN_IDS, (collection,)).fetchall()]


def gone_ids(conn: psycopg.Connection[Any], run_id: int, collection: str) -> list[str]:
    """Open entries of `collection` whose document run `run_id` did not read (deleted since).

    Meaningful only once the run has read the collection to its end.
    """
    params = {"run_id": run_id, "collection": collection}
    return [r[0] for r in conn.execute(_GONE_IDS, params).fetchall()]


def resolve_gone(conn: psycopg.Connection[Any], run_id: int, collection: str) -> int:
    """Close those entries as 'gone from the source' (document and reason kept); how many."""
    cur = conn.execute(_RESOLVE_GONE, {"run_id": run_id, "collection": collection})
    return cur.rowcount


def list_entries(
    conn: psycopg.Connection[Any], *, include_resolved: bool = False
) -> list[QuarantinedDocument]:
    return [QuarantinedDocument(*r) for r in conn.execute(_LIST, (include_resolved,)).fetchall()]


def get_entry(conn: psycopg.Connection[Any], entry_id: int) -> QuarantinedDocument:
    row = conn.execute(_SHOW, (entry_id,)).fetchone()
    if row is None:
        raise NotFound(f"no quarantine entry {entry_id}")
    return QuarantinedDocument(*row)


def resolve(conn: psycopg.Connection[Any], entry_id: int, run_id: int | None) -> None:
    """Mark one entry resolved (its document is now stored)."""
    conn.execute(_RESOLVE, (run_id, entry_id))


def original_bytes(entry: QuarantinedDocument) -> bytes:
    """The exact BSON bytes of a quarantined document.

    From the kept bytes when canonical EJSON could not hold it, otherwise through the codec's
    exact inverse of `canonical_ejson` (key order and every BSON type kept).
    """
    if entry.document_bson_base64:
        return base64.b64decode(entry.document_bson_base64)
    from pmo_playbook.migration.exact_bson.values import from_ejson
    from pmo_playbook.migration.exact_bson.walk import write_document

    return write_document(from_ejson(json.loads(entry.document)))
