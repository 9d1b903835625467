"""PostgreSQL -> MongoDB: the outbox of PostgreSQL-owned modules, applied in the legacy shape.

Each outbox entry names a row (table, legacy id) that changed. The row's CURRENT state is
decoded by the reverse export's decoder (`RowCodec.decode`: legacy field names and order,
ObjectId `_id`s, BSON dates, every type the migration annotated) and replaces the document in
the legacy collection (`TableSpec.legacy_name`); a row that is gone deletes it. Entries are
deleted only after MongoDB acknowledged the writes, in the same PostgreSQL transaction that
read them: a crash repeats a write (idempotent: same state), never loses one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from bson.raw_bson import RawBSONDocument
from pymongo import DeleteOne, ReplaceOne
from pymongo.errors import PyMongoError

from pmo_playbook.migration.codec.rowcodec import RowCodec
from pmo_playbook.repositories.cutover import CutoverRepository, OutboxEntry
from pmo_playbook.repositories.sync_rows import SyncRowRepository
from pmo_playbook.sync.inbound import SyncFailed
from pmo_playbook.sync.modules import spec_of_table


@dataclass
class OutboundSync:
    """Drains the outbox of every PostgreSQL-owned module into the legacy database."""

    conn: psycopg.Connection[Any]
    db: Any
    batch_size: int = 500
    last_applied_at: datetime | None = None

    def step(self) -> int:
        """Apply one batch of the outbox; the entries applied."""
        with self.conn.transaction():
            repo = CutoverRepository(self.conn)
            owned = [o.module for o in repo.owners() if o.owner == "postgresql"]
            entries = repo.outbox_next(owned, self.batch_size) if owned else []
            by_table: dict[str, list[OutboxEntry]] = {}
            for entry in entries:
                by_table.setdefault(entry.table, []).append(entry)
            for table, group in by_table.items():
                self._apply(table, group)
            if entries:
                repo.outbox_done([e.id for e in entries])
                self.last_applied_at = datetime.now(UTC)
        return len(entries)

    def _apply(self, table: str, entries: list[OutboxEntry]) -> None:
        spec = spec_of_table(table)
        codec = RowCodec(spec.legacy_name, spec)
        ids = list(dict.fromkeys(e.legacy_id for e in entries))
        rows = SyncRowRepository(self.conn, spec).current(ids)
        ops: list[Any] = []
        for lid in ids:
            key = {"_id": codec.id_value(lid)}
            row = rows.get(lid)
            if row is None:
                ops.append(DeleteOne(key))
            else:
                raw = codec.decode(lid, row[0], row[1])
                ops.append(ReplaceOne(key, RawBSONDocument(raw), upsert=True))
        try:
            self.db[spec.legacy_name].bulk_write(ops, ordered=True)
        except PyMongoError as exc:
            raise SyncFailed(
                f"{spec.legacy_name}: MongoDB refused the outbox writes ({exc}); they stay "
                "queued and are retried by the next sync"
            ) from None
