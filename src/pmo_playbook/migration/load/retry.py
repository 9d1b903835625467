"""`pmo migrate quarantine retry`: re-validate and load quarantined documents.

Each stored document is turned back into its exact BSON bytes (`quarantine.original_bytes`: the
kept bytes, or the codec's exact inverse of canonical Extended JSON) and goes through the same
path as a batch of the loader: encode, derive columns, conflict anti-join, upsert, read-back.
On success the entry is resolved; on failure it keeps its place with the new reason.

A later duplicate of an `_id` (reason "duplicate _id in the source") is never loaded over the
stored earlier document: it stays quarantined while a row holds that `_id` (delete the row
first to keep the later document instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.documents.registry.columns import TableSpec
from pmo_playbook.migration.codec.rowcodec import RowCodec
from pmo_playbook.migration.connection import open_connection
from pmo_playbook.migration.load import quarantine
from pmo_playbook.migration.load.batch import prepare_batch
from pmo_playbook.migration.load.exclusive import exclusive_writer
from pmo_playbook.migration.load.loader import write_batch
from pmo_playbook.migration.load.run_guard import DUPLICATE_REASON, source_legacy_id
from pmo_playbook.migration.mapping import target_for
from pmo_playbook.migration.sources.base import SourceDocument


@dataclass(frozen=True)
class RetryResult:
    id: int
    collection: str
    legacy_id: str
    stored: bool
    reason: str | None  # why it is still quarantined


def _row_exists(conn: psycopg.Connection[Any], spec: TableSpec, legacy_id: str) -> bool:
    scope: sql.Composable = sql.SQL("")
    if spec.scope_column:
        scope = sql.SQL(" AND {} = %(collection)s").format(sql.Identifier(spec.scope_column))
    query = sql.SQL("SELECT 1 FROM {} WHERE legacy_id = %(lid)s{}").format(
        sql.Identifier(spec.table), scope
    )
    params = {"lid": legacy_id, "collection": spec.legacy_name}
    return conn.execute(query, params).fetchone() is not None


def _retry_one(conn: psycopg.Connection[Any], entry: quarantine.QuarantinedDocument) -> RetryResult:
    """Load one entry's document; resolve the entry when its row now holds it."""
    spec = target_for(entry.collection, entry.target_table is None)
    assert spec is not None  # target_for always maps with include_unmapped
    raw = quarantine.original_bytes(entry)
    codec = RowCodec(entry.collection, spec)
    lid = source_legacy_id(codec, raw)
    duplicate = entry.reason.startswith(DUPLICATE_REASON)
    with conn.transaction():
        if duplicate and lid is not None and _row_exists(conn, spec, lid):
            return RetryResult(entry.id, entry.collection, entry.legacy_id, False, entry.reason)
        doc = SourceDocument(raw, entry.position or "quarantine")
        write_batch(conn, prepare_batch([doc], codec, spec, 0), entry.run_id)
        if duplicate and lid is not None and _row_exists(conn, spec, lid):
            quarantine.resolve(conn, entry.id, entry.run_id)
    with conn.transaction():
        now = quarantine.get_entry(conn, entry.id)
        still = [
            e
            for e in quarantine.list_entries(conn)
            if e.collection == entry.collection and e.legacy_id in (entry.legacy_id, lid)
        ]
    stored = now.resolved_at is not None
    reason = None if stored else (still[0].reason if still else now.reason)
    return RetryResult(entry.id, entry.collection, entry.legacy_id, stored, reason)


def retry(url: DatabaseUrl, ids: list[int] | None) -> list[RetryResult]:
    """Retry the given open entries (all open entries when `ids` is None).

    Holds the migration writer lock (exclusive.py): refused while a migration runs.
    """
    results = []
    with exclusive_writer(url, "pmo migrate quarantine retry"), open_connection(url) as conn:
        with conn.transaction():
            entries = [e for e in quarantine.list_entries(conn) if ids is None or e.id in ids]
            if ids is not None:
                missing = set(ids) - {e.id for e in entries}
                for entry_id in sorted(missing):
                    quarantine.get_entry(conn, entry_id)  # NotFound for unknown ids
        for entry in entries:
            results.append(_retry_one(conn, entry))
    return results
