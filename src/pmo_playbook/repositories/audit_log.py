"""SQL of `audit_log`: append an entry, list the newest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel

from pmo_playbook.repositories.base import Repository, storage_errors

_INSERT = """
INSERT INTO audit_log (actor, action, target_type, target_id, details)
VALUES (%(actor)s, %(action)s, %(target_type)s, %(target_id)s, %(details)s)
RETURNING id, at, actor, action, target_type, target_id, details
"""
_RECENT = """
SELECT id, at, actor, action, target_type, target_id, details FROM audit_log
 WHERE (%(target_type)s::text IS NULL OR target_type = %(target_type)s)
 ORDER BY at DESC, id DESC
 LIMIT %(limit)s
"""


class AuditEntry(BaseModel):
    """One recorded admin action."""

    id: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    details: dict[str, Any]


class AuditLogRepository(Repository):
    """Append-only audit entries over one connection (never commits)."""

    def append(
        self, actor: str, action: str, target_type: str, target_id: str, details: dict[str, Any]
    ) -> AuditEntry:
        params = {
            "actor": actor,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "details": Jsonb(details),
        }
        with storage_errors("audit log"), self.conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(_INSERT, params).fetchone()
        assert row is not None
        return AuditEntry(**row)

    def recent(self, limit: int, target_type: str | None = None) -> list[AuditEntry]:
        params = {"limit": limit, "target_type": target_type}
        with storage_errors("audit log"), self.conn.cursor(row_factory=dict_row) as cur:
            return [AuditEntry(**row) for row in cur.execute(_RECENT, params).fetchall()]
