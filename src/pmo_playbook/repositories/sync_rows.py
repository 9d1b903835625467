"""The rows of one legacy table as the live sync reads and deletes them (by legacy id)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from pmo_playbook.documents.registry.columns import TableSpec

_RESOLVE_GONE = (
    "UPDATE migration_quarantine SET resolved_at = now(), resolution = 'gone from the source' "
    "WHERE collection = %s AND resolved_at IS NULL AND legacy_id = ANY(%s::text[])"
)


class SyncRowRepository:
    """Rows of `spec.table` by legacy id: current state, deletion, the full id set."""

    def __init__(self, conn: psycopg.Connection[Any], spec: TableSpec) -> None:
        self.conn = conn
        self.spec = spec
        self._table = sql.Identifier(spec.table)

    def current(self, legacy_ids: list[str]) -> dict[str, tuple[Any, Any]]:
        """legacy_id -> (data, bson_annotations) of the stored rows among `legacy_ids`."""
        query = sql.SQL(
            "SELECT legacy_id, data, bson_annotations FROM {} WHERE legacy_id = ANY(%s::text[])"
        ).format(self._table)
        return {lid: (d, a) for lid, d, a in self.conn.execute(query, (legacy_ids,)).fetchall()}

    def get(self, legacy_id: str) -> tuple[Any, Any] | None:
        return self.current([legacy_id]).get(legacy_id)

    def delete(self, collection: str, legacy_ids: list[str]) -> int:
        """Delete rows (and close their open quarantine entries: the document is gone)."""
        query = sql.SQL("DELETE FROM {} WHERE legacy_id = ANY(%s::text[])").format(self._table)
        deleted = self.conn.execute(query, (legacy_ids,)).rowcount
        self.conn.execute(_RESOLVE_GONE, (collection, legacy_ids))
        return deleted

    def all_ids(self) -> set[str]:
        query = sql.SQL("SELECT legacy_id FROM {} WHERE legacy_id IS NOT NULL").format(self._table)
        return {row[0] for row in self.conn.execute(query).fetchall()}
