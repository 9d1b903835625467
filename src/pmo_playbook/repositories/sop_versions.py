"""SQL of `sop_version_histories` (human and agent snapshots, one row per version)."""

from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from pmo_playbook.documents.sops import SopVersionRow
from pmo_playbook.repositories.base import Repository, storage_errors

_COLUMNS = "legacy_id, sop_id, sop_type, version, change_type, data, created_at"
_INSERT = f"""
INSERT INTO sop_version_histories (sop_id, sop_type, version, legacy_id, change_type, data)
VALUES (%(sop_id)s, %(sop_type)s, %(version)s, %(legacy_id)s, %(change_type)s,
        %(data)s::jsonb || jsonb_build_object('createdAt', pmo_iso(now())))
RETURNING {_COLUMNS}
"""  # noqa: S608
_LIST = f"""
SELECT {_COLUMNS} FROM sop_version_histories
 WHERE sop_id = %s AND sop_type = %s ORDER BY version DESC LIMIT %s
"""  # noqa: S608
_GET = f"""
SELECT {_COLUMNS} FROM sop_version_histories WHERE sop_id = %s AND sop_type = %s AND version = %s
"""  # noqa: S608


class SopVersionRepository(Repository):
    """Snapshots of SOP versions."""

    def insert(
        self,
        *,
        sop_id: str,
        sop_type: str,
        version: int,
        change_type: str,
        legacy_id: str,
        data: dict[str, Any],
    ) -> SopVersionRow:
        """Record one version; an existing (sop, type, version) raises Conflict."""
        params = {
            "sop_id": sop_id,
            "sop_type": sop_type,
            "version": version,
            "legacy_id": legacy_id,
            "change_type": change_type,
            "data": Jsonb(data),
        }
        what = f"version {version} of {sop_type} SOP {sop_id}"
        with storage_errors(what), self.conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(_INSERT, params).fetchone()
        assert row is not None
        return SopVersionRow(**row)

    def list(self, sop_id: str, sop_type: str, limit: int = 500) -> list[SopVersionRow]:
        """Newest first."""
        with storage_errors("reading SOP versions"), self.conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(_LIST, (sop_id, sop_type, limit)).fetchall()
        return [SopVersionRow(**row) for row in rows]

    def get(self, sop_id: str, sop_type: str, version: int) -> SopVersionRow | None:
        with storage_errors("reading SOP versions"), self.conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(_GET, (sop_id, sop_type, version)).fetchone()
        return None if row is None else SopVersionRow(**row)
