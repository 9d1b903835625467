"""SQL of the `human_sops` table (typed columns and `data` written together)."""

from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from pmo_playbook.documents.sops import HumanSopRow
from pmo_playbook.repositories.base import Repository, storage_errors

_COLUMNS = "id, legacy_id, sop_id, phase, version, is_active, data, created_at, updated_at"
_GET = f"SELECT {_COLUMNS} FROM human_sops WHERE sop_id = %s"  # noqa: S608
_GET_ACTIVE = f"SELECT {_COLUMNS} FROM human_sops WHERE sop_id = %s AND is_active"  # noqa: S608
_GET_ACTIVE_LOCKED = _GET_ACTIVE + " FOR UPDATE"
_GET_BY_ID = f"SELECT {_COLUMNS} FROM human_sops WHERE id = %s"  # noqa: S608
_BY_LEGACY_IDS = f"SELECT {_COLUMNS} FROM human_sops WHERE legacy_id = ANY(%s)"  # noqa: S608
_LIST_ACTIVE = f"""
SELECT {_COLUMNS} FROM human_sops WHERE is_active ORDER BY phase, sop_id
"""  # noqa: S608
_LIST_ALL = f"""
SELECT {_COLUMNS} FROM human_sops ORDER BY is_active DESC, phase, sop_id
"""  # noqa: S608
# Retire/restore: the typed column and the document's isActive in one statement.
_SET_ACTIVE = f"""
UPDATE human_sops
   SET is_active = %(active)s,
       data = data || jsonb_build_object('isActive', %(active)s::boolean,
                                         'updatedAt', pmo_iso(now()))
 WHERE sop_id = %(sop_id)s
RETURNING {_COLUMNS}
"""  # noqa: S608
_INSERT = f"""
INSERT INTO human_sops (sop_id, legacy_id, phase, version, is_active, data)
VALUES (%(sop_id)s, %(legacy_id)s, %(phase)s, %(version)s, true,
        %(data)s::jsonb || jsonb_build_object('sopId', %(sop_id)s::text, 'phase', %(phase)s::int,
                                              'version', %(version)s::int, 'isActive', true,
                                              'createdAt', pmo_iso(now()),
                                              'updatedAt', pmo_iso(now())))
RETURNING {_COLUMNS}
"""  # noqa: S608
_UPDATE_CONTENT = f"""
UPDATE human_sops
   SET data = data || %(patch)s::jsonb
              || jsonb_build_object('phase', %(phase)s::int, 'version', %(version)s::int,
                                    'updatedAt', pmo_iso(now())),
       phase = %(phase)s, version = %(version)s
 WHERE id = %(id)s
RETURNING {_COLUMNS}
"""  # noqa: S608


class HumanSopRepository(Repository):
    """Human SOPs by their SOP- id."""

    def _rows(
        self, statement: str, params: tuple[Any, ...] | dict[str, Any] = ()
    ) -> list[HumanSopRow]:
        rows = self._dicts(statement, params, what="reading human SOPs")
        return [HumanSopRow(**row) for row in rows]

    def get(
        self, sop_id: str, *, active_only: bool = True, lock: bool = False
    ) -> HumanSopRow | None:
        """One SOP; `lock` takes the row lock so concurrent edits queue (D9: no lost versions)."""
        statement = _GET_ACTIVE_LOCKED if lock else (_GET_ACTIVE if active_only else _GET)
        rows = self._rows(statement, (sop_id,))
        return rows[0] if rows else None

    def get_by_row_id(self, row_id: int) -> HumanSopRow | None:
        rows = self._rows(_GET_BY_ID, (row_id,))
        return rows[0] if rows else None

    def get_by_legacy_ids(self, legacy_ids: list[str]) -> dict[str, HumanSopRow]:
        """Human SOPs by their `_id` (to populate proposals' humanSopId)."""
        rows = self._rows(_BY_LEGACY_IDS, (legacy_ids,))
        return {row.legacy_id: row for row in rows if row.legacy_id}

    def list_active(self) -> list[HumanSopRow]:
        """Active SOPs by phase, then id."""
        return self._rows(_LIST_ACTIVE)

    def list_all(self) -> list[HumanSopRow]:
        """Every SOP, retired ones last (the admin list, to restore them)."""
        return self._rows(_LIST_ALL)

    def set_active(self, sop_id: str, active: bool) -> HumanSopRow | None:
        """Retire (False) or restore (True) a SOP; None when it does not exist."""
        rows = self._rows(_SET_ACTIVE, {"sop_id": sop_id, "active": active})
        return rows[0] if rows else None

    def insert(self, sop_id: str, legacy_id: str, phase: int, data: dict[str, Any]) -> HumanSopRow:
        params = {
            "sop_id": sop_id,
            "legacy_id": legacy_id,
            "phase": phase,
            "version": 1,
            "data": Jsonb(data),
        }
        with storage_errors(f"SOP {sop_id}"), self.conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(_INSERT, params).fetchone()
        assert row is not None
        return HumanSopRow(**row)

    def update_content(
        self, row: HumanSopRow, patch: dict[str, Any], *, phase: int, version: int
    ) -> HumanSopRow:
        """Write a new version: `patch` merged into the document, phase and version in step."""
        params = {"id": row.id, "patch": Jsonb(patch), "phase": phase, "version": version}
        with storage_errors(f"SOP {row.sop_id}"), self.conn.cursor(row_factory=dict_row) as cur:
            updated = cur.execute(_UPDATE_CONTENT, params).fetchone()
        assert updated is not None
        return HumanSopRow(**updated)
