"""SQL of the `agent_sops` table.

`save` is the ONE write path: the typed columns (phase, version, is_active, searchable_content,
last_synced_at, human_sop_id) are always written from the same document as `data`.
"""

from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from pmo_playbook.documents.common import from_iso
from pmo_playbook.documents.sops import AgentSopRow
from pmo_playbook.repositories.base import Repository, storage_errors

_COLUMNS = (
    "id, legacy_id, sop_id, human_sop_id, phase, version, is_active, data, created_at, updated_at"
)
_GET = f"SELECT {_COLUMNS} FROM agent_sops WHERE sop_id = %s"  # noqa: S608
_GET_ACTIVE = f"SELECT {_COLUMNS} FROM agent_sops WHERE sop_id = %s AND is_active"  # noqa: S608
_GET_LOCKED = _GET + " FOR UPDATE"
# Retire/restore together with the human SOP: typed column and document in one statement.
_SET_ACTIVE = """
UPDATE agent_sops
   SET is_active = %s,
       data = data || jsonb_build_object('isActive', %s::boolean, 'updatedAt', pmo_iso(now()))
 WHERE sop_id = %s
"""
_LIST_ACTIVE = f"""
SELECT {_COLUMNS} FROM agent_sops WHERE is_active ORDER BY phase, sop_id
"""  # noqa: S608
# The document's createdAt is kept on updates (data || new document keeps nothing stale: the
# new document carries every key the application owns; unknown migrated keys survive).
_UPSERT = f"""
INSERT INTO agent_sops (sop_id, legacy_id, human_sop_id, phase, version, is_active,
                        searchable_content, last_synced_at, data)
VALUES (%(sop_id)s, %(legacy_id)s, %(human_sop_id)s, %(phase)s, %(version)s, %(is_active)s,
        %(searchable)s, %(synced)s,
        %(data)s::jsonb || jsonb_build_object('createdAt', pmo_iso(now()),
                                              'updatedAt', pmo_iso(now())))
ON CONFLICT (sop_id) DO UPDATE
   SET human_sop_id = EXCLUDED.human_sop_id, phase = EXCLUDED.phase,
       version = EXCLUDED.version, is_active = EXCLUDED.is_active,
       searchable_content = EXCLUDED.searchable_content,
       last_synced_at = EXCLUDED.last_synced_at,
       data = agent_sops.data || %(data)s::jsonb
              || jsonb_build_object('updatedAt', pmo_iso(now()))
RETURNING {_COLUMNS}
"""  # noqa: S608


class AgentSopRepository(Repository):
    """Agent SOPs by their SOP- id."""

    def _rows(self, statement: str, params: tuple[Any, ...] = ()) -> list[AgentSopRow]:
        rows = self._dicts(statement, params, what="reading agent SOPs")
        return [AgentSopRow(**row) for row in rows]

    def get(
        self, sop_id: str, *, active_only: bool = False, lock: bool = False
    ) -> AgentSopRow | None:
        statement = _GET_LOCKED if lock else (_GET_ACTIVE if active_only else _GET)
        rows = self._rows(statement, (sop_id,))
        return rows[0] if rows else None

    def set_active(self, sop_id: str, active: bool) -> None:
        """Retire (False) or restore (True) the agent SOP of `sop_id` (no-op when missing)."""
        with storage_errors(f"agent SOP {sop_id}"):
            self.conn.execute(_SET_ACTIVE, (active, active, sop_id))

    def list_active(self) -> list[AgentSopRow]:
        """Active agent SOPs by phase, then id (legacy getAllSummaries order)."""
        return self._rows(_LIST_ACTIVE)

    def save(
        self,
        sop_id: str,
        legacy_id: str,
        human_sop_row_id: int | None,
        document: dict[str, Any],
        searchable_content: str,
    ) -> AgentSopRow:
        """Insert or update the agent SOP; every typed column comes from `document`."""
        params = {
            "sop_id": sop_id,
            "legacy_id": legacy_id,
            "human_sop_id": human_sop_row_id,
            "phase": int(document["phase"]),
            "version": int(document["version"]),
            "is_active": bool(document.get("isActive", True)),
            "searchable": searchable_content,
            "synced": from_iso(str(document["lastSyncedAt"])),
            "data": Jsonb({**document, "searchableContent": searchable_content}),
        }
        with storage_errors(f"agent SOP {sop_id}"), self.conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(_UPSERT, params).fetchone()
        assert row is not None
        return AgentSopRow(**row)
