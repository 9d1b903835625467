"""Apply MongoDB documents to PostgreSQL with the migration's own encoder and row writer.

Every synced document goes through `batch.prepare_batch` + `loader.write_batch`, exactly as a
migration batch does: the same lossless encoding, the same derived columns, the same
quarantine rules (a document that cannot be a row is quarantined with its bytes, never
dropped), the same read-back verification. Only deletes are the sync's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

from pmo_playbook.migration.codec.rowcodec import RowCodec
from pmo_playbook.migration.load.batch import prepare_batch
from pmo_playbook.migration.load.loader import write_batch
from pmo_playbook.migration.sources.base import SourceDocument
from pmo_playbook.repositories.cutover import CutoverRepository
from pmo_playbook.repositories.sync_rows import SyncRowRepository


@dataclass
class Changes:
    """The net changes of one collection since the last commit: last write per `_id` wins."""

    upserts: dict[str, bytes] = field(default_factory=dict)  # legacy_id -> document bytes
    deletes: set[str] = field(default_factory=set)
    events: int = 0

    def upsert(self, legacy_id: str, raw: bytes) -> None:
        self.deletes.discard(legacy_id)
        self.upserts[legacy_id] = raw
        self.events += 1

    def delete(self, legacy_id: str) -> None:
        self.upserts.pop(legacy_id, None)
        self.deletes.add(legacy_id)
        self.events += 1

    def __bool__(self) -> bool:
        return bool(self.upserts or self.deletes)


@dataclass
class Applied:
    written: int = 0
    deleted: int = 0
    quarantined: int = 0
    skipped: int = 0  # PostgreSQL-owned: echoes of our own writes, or rows with pending writes


def apply_changes(
    conn: psycopg.Connection[Any], codec: RowCodec, changes: Changes, *, owned_by_mongodb: bool
) -> Applied:
    """Write `changes` to the collection's table in the caller's transaction.

    For a PostgreSQL-owned module the change stream mostly carries the echoes of the outbox's
    own writes: a document equal to its row, or one whose row has a write still queued for
    MongoDB (PostgreSQL wins), is skipped. Anything else is a write the legacy application
    accepted after the switch (the proxy was not reloaded yet): applied, so no write is lost.
    """
    cutover = CutoverRepository(conn)
    rows = SyncRowRepository(conn, codec.spec)
    cutover.act_as_sync_writer()
    applied = Applied()
    upserts, deletes = dict(changes.upserts), set(changes.deletes)
    if not owned_by_mongodb:
        upserts, deletes = _late_writes(cutover, rows, codec, upserts, deletes, applied)
    if upserts:
        chunk = [SourceDocument(raw, f"change of _id {lid}") for lid, raw in upserts.items()]
        batch = prepare_batch(chunk, codec, codec.spec, 0)
        counts = write_batch(conn, batch, None)
        applied.quarantined += counts.get("quarantined", 0)
        applied.written += len(upserts) - counts.get("quarantined", 0)
    if deletes:
        applied.deleted += rows.delete(codec.collection, sorted(deletes))
    return applied


def _late_writes(
    cutover: CutoverRepository,
    rows: SyncRowRepository,
    codec: RowCodec,
    upserts: dict[str, bytes],
    deletes: set[str],
    applied: Applied,
) -> tuple[dict[str, bytes], set[str]]:
    stored = rows.current(list(upserts) + sorted(deletes))
    keep_upserts: dict[str, bytes] = {}
    for lid, raw in upserts.items():
        row = stored.get(lid)
        if cutover.outbox_pending(codec.spec.table, lid) or (
            row is not None and codec.decode(lid, row[0], row[1]) == raw
        ):
            applied.skipped += 1
        else:
            keep_upserts[lid] = raw
    keep_deletes = {
        lid
        for lid in deletes
        if lid in stored and not cutover.outbox_pending(codec.spec.table, lid)
    }
    applied.skipped += len(deletes) - len(keep_deletes)
    return keep_upserts, keep_deletes
