"""SQL of `change_proposals` (status and priority columns kept in step with `data`)."""

from __future__ import annotations

import builtins
from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from pmo_playbook.documents.proposals import ProposalRow
from pmo_playbook.repositories.base import Repository, storage_errors

_COLUMNS = "id, legacy_id, proposal_id, sop_id, status, priority, data, created_at, updated_at"
# D22: priority by rank, not alphabetically; then confidence, then newest.
_FILTER = """
 WHERE (%(status)s::text IS NULL OR status = %(status)s)
   AND (%(priority)s::text IS NULL OR priority = %(priority)s)
   AND (%(sop_id)s::text IS NULL OR sop_id = %(sop_id)s)
"""
_LIST = (
    f"SELECT {_COLUMNS} FROM change_proposals"  # noqa: S608
    + _FILTER
    + """
 ORDER BY CASE priority WHEN 'critical' THEN 4 WHEN 'high' THEN 3
                        WHEN 'medium' THEN 2 ELSE 1 END DESC,
          CASE WHEN jsonb_typeof(data->'metrics'->'confidenceScore') = 'number'
               THEN (data->'metrics'->>'confidenceScore')::double precision END DESC NULLS LAST,
          created_at DESC, id DESC
 LIMIT %(limit)s OFFSET %(skip)s
"""
)
_COUNT = "SELECT count(*) FROM change_proposals" + _FILTER  # noqa: S608
_GET = f"SELECT {_COLUMNS} FROM change_proposals WHERE proposal_id = %s"  # noqa: S608
_GET_LOCKED = _GET + " FOR UPDATE"
# D19: creators of proposals for the same (sop, section, changeType) queue on this lock, so
# the dedup window cannot be raced; the candidate row is then locked for its update.
_LOCK_KEY = "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))"
_SIMILAR = f"""
SELECT {_COLUMNS} FROM change_proposals
 WHERE sop_id = %(sop_id)s AND status IN ('pending_review', 'approved')
   AND data->'proposedChange'->>'section' = %(section)s
   AND coalesce(data->'proposedChange'->>'changeType', 'clarification') = %(change_type)s
 ORDER BY created_at DESC, id DESC
 FOR UPDATE
"""  # noqa: S608
_INSERT = f"""
INSERT INTO change_proposals (proposal_id, legacy_id, sop_id, status, priority, data)
VALUES (%(proposal_id)s, %(legacy_id)s, %(sop_id)s, %(status)s, %(priority)s,
        %(data)s::jsonb || jsonb_build_object('createdAt', pmo_iso(now()),
                                              'updatedAt', pmo_iso(now())))
RETURNING {_COLUMNS}
"""  # noqa: S608
_UPDATE = f"""
UPDATE change_proposals
   SET data = data || %(patch)s::jsonb
              || jsonb_build_object('status', %(status)s::text, 'priority', %(priority)s::text,
                                    'updatedAt', pmo_iso(now())),
       status = %(status)s, priority = %(priority)s
 WHERE id = %(id)s
RETURNING {_COLUMNS}
"""  # noqa: S608


class ProposalRepository(Repository):
    """Change proposals by proposalId."""

    def _rows(self, statement: str, params: Any) -> builtins.list[ProposalRow]:
        return [
            ProposalRow(**row) for row in self._dicts(statement, params, what="reading proposals")
        ]

    def page(
        self, *, status: str | None, priority: str | None, sop_id: str | None, limit: int, skip: int
    ) -> tuple[list[ProposalRow], int]:
        """One page in review order, and the total matching the filters."""
        params = {"status": status, "priority": priority, "sop_id": sop_id}
        rows = self._rows(_LIST, {**params, "limit": limit, "skip": skip})
        with storage_errors("counting proposals"):
            counted = self.conn.execute(_COUNT, params).fetchone()
        return rows, int(counted[0]) if counted else 0

    def get(self, proposal_id: str, *, lock: bool = False) -> ProposalRow | None:
        rows = self._rows(_GET_LOCKED if lock else _GET, (proposal_id,))
        return rows[0] if rows else None

    def lock_similar(
        self, sop_id: str, section: str, change_type: str
    ) -> builtins.list[ProposalRow]:
        """Serialise on the (sop, section, changeType) key, then lock the open candidates."""
        with storage_errors("locking similar proposals"):
            self.conn.execute(_LOCK_KEY, (f"proposal|{sop_id}|{section}|{change_type}",))
        params = {"sop_id": sop_id, "section": section, "change_type": change_type}
        return self._rows(_SIMILAR, params)

    def insert(self, proposal_id: str, legacy_id: str, data: dict[str, Any]) -> ProposalRow:
        params = {
            "proposal_id": proposal_id,
            "legacy_id": legacy_id,
            "sop_id": data.get("sopId"),
            "status": data["status"],
            "priority": data["priority"],
            "data": Jsonb(data),
        }
        with (
            storage_errors(f"proposal {proposal_id}"),
            self.conn.cursor(row_factory=dict_row) as cur,
        ):
            row = cur.execute(_INSERT, params).fetchone()
        assert row is not None
        return ProposalRow(**row)

    def update(
        self, row: ProposalRow, patch: dict[str, Any], *, status: str, priority: str
    ) -> ProposalRow:
        """Merge `patch`; status and priority written to the columns and the document."""
        params = {"id": row.id, "patch": Jsonb(patch), "status": status, "priority": priority}
        what = f"proposal {row.proposal_id}"
        with storage_errors(what), self.conn.cursor(row_factory=dict_row) as cur:
            updated = cur.execute(_UPDATE, params).fetchone()
        assert updated is not None
        return ProposalRow(**updated)
