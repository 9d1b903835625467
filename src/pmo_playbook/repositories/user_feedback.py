"""SQL of gap reports (table user_feedback) and the agent-SOP outline their suggestions use."""

from __future__ import annotations

import builtins
from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from pmo_playbook.documents.common import new_object_id
from pmo_playbook.documents.feedback import GapReport
from pmo_playbook.repositories.base import Repository, storage_errors

_INSERT = """
INSERT INTO user_feedback (feedback_id, legacy_id, session_id, sop_id, status, priority, data)
VALUES (%(feedback_id)s, %(legacy_id)s, %(session_id)s, %(sop_id)s, %(status)s, %(priority)s,
        %(data)s)
RETURNING id AS pk, legacy_id, feedback_id, session_id, sop_id, status, priority, data,
          created_at, updated_at
"""
# Found by feedbackId (what the UI sends) or by the `_id` hex (D23).
_FIND = """
SELECT id AS pk, legacy_id, feedback_id, session_id, sop_id, status, priority, data,
       created_at, updated_at
FROM user_feedback WHERE feedback_id = %(key)s OR legacy_id = %(key)s
ORDER BY (feedback_id = %(key)s) DESC LIMIT 1
"""
# Priority by rank, high first (D22), then newest first.
_LIST = """
SELECT id AS pk, legacy_id, feedback_id, session_id, sop_id, status, priority, data,
       created_at, updated_at
FROM user_feedback
WHERE (%(status)s::text IS NULL OR status = %(status)s)
  AND (%(priority)s::text IS NULL OR priority = %(priority)s)
  AND (%(sop_id)s::text IS NULL OR sop_id = %(sop_id)s)
ORDER BY CASE priority WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,
         created_at DESC, id DESC
LIMIT %(limit)s OFFSET %(skip)s
"""
_COUNT = """
SELECT count(*) FROM user_feedback
WHERE (%(status)s::text IS NULL OR status = %(status)s)
  AND (%(priority)s::text IS NULL OR priority = %(priority)s)
  AND (%(sop_id)s::text IS NULL OR sop_id = %(sop_id)s)
"""
_STATUS_COUNTS = "SELECT status, count(*) FROM user_feedback GROUP BY status"
_UPDATE = """
UPDATE user_feedback
SET data = data || %(changes)s,
    status = coalesce(%(status)s, status),
    priority = coalesce(%(priority)s, priority)
WHERE id = %(pk)s
RETURNING id AS pk, legacy_id, feedback_id, session_id, sop_id, status, priority, data,
          created_at, updated_at
"""
# Close without losing the admin's notes: the close note is appended on its own line (D20).
_CLOSE = """
UPDATE user_feedback
SET status = 'closed',
    data = data || jsonb_build_object(
        'status', 'closed',
        'updatedAt', %(now_iso)s::text,
        'adminNotes', CASE WHEN coalesce(data->>'adminNotes', '') = '' THEN %(note)s::text
                           ELSE (data->>'adminNotes') || E'\\n' || %(note)s::text END)
WHERE id = %(pk)s
RETURNING id AS pk, legacy_id, feedback_id, session_id, sop_id, status, priority, data,
          created_at, updated_at
"""
_AGENT_SOP = "SELECT data FROM agent_sops WHERE sop_id = %s"
# A reporter's own reports: those filed about sessions they own (newest first).
_FOR_OWNER = """
SELECT f.id AS pk, f.legacy_id, f.feedback_id, f.session_id, f.sop_id, f.status, f.priority,
       f.data, f.created_at, f.updated_at
FROM user_feedback f JOIN chat_histories c ON c.session_id = f.session_id
WHERE c.user_id = %(owner)s
ORDER BY f.created_at DESC, f.id DESC
LIMIT %(limit)s
"""


class UserFeedbackRepository(Repository):
    """Reads and writes of user_feedback over one connection (never commits)."""

    def _one(self, query: str, params: dict[str, Any], what: str) -> GapReport | None:
        row = self._dict(query, params, what=what)
        return None if row is None else GapReport(**row)

    def create(self, data: dict[str, Any]) -> GapReport:
        """Insert a report; typed columns come from the same document."""
        params = {
            "feedback_id": data["feedbackId"],
            "legacy_id": new_object_id(),
            "session_id": data.get("sessionId"),
            "sop_id": data.get("sopId"),
            "status": data["status"],
            "priority": data["priority"],
            "data": Jsonb(data),
        }
        report = self._one(_INSERT, params, f"create gap report {data['feedbackId']}")
        assert report is not None
        return report

    def find(self, key: str) -> GapReport | None:
        """The report whose feedbackId or `_id` is `key`."""
        return self._one(_FIND, {"key": key}, f"read gap report {key}")

    def list(
        self, status: str | None, priority: str | None, sop_id: str | None, limit: int, skip: int
    ) -> tuple[list[GapReport], int]:
        """One page of reports (filtered, by priority rank then newest) and the filtered total."""
        params = {
            "status": status,
            "priority": priority,
            "sop_id": sop_id,
            "limit": limit,
            "skip": skip,
        }
        with storage_errors("list gap reports"), self.conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(_LIST, params).fetchall()
            count = cur.execute(_COUNT, params).fetchone()
        return [GapReport(**r) for r in rows], int(count["count"]) if count else 0

    def status_counts(self) -> dict[str, int]:
        """Reports per status over the whole table."""
        with storage_errors("count gap reports"):
            rows = self.conn.execute(_STATUS_COUNTS).fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    def update(
        self, pk: int, changes: dict[str, Any], status: str | None, priority: str | None
    ) -> GapReport:
        """Merge `changes` into the document and set the typed columns given."""
        params = {"changes": Jsonb(changes), "status": status, "priority": priority, "pk": pk}
        report = self._one(_UPDATE, params, f"update gap report {pk}")
        assert report is not None
        return report

    def close(self, pk: int, note: str, now_iso: str) -> GapReport:
        """Set status closed and append `note` to the admin notes."""
        report = self._one(
            _CLOSE, {"pk": pk, "note": note, "now_iso": now_iso}, f"close gap report {pk}"
        )
        assert report is not None
        return report

    def list_for_owner(self, owner_key: str, limit: int) -> builtins.list[GapReport]:
        """The reports about sessions whose owner is `owner_key`, newest first."""
        params = {"owner": owner_key, "limit": limit}
        with (
            storage_errors("list own gap reports"),
            self.conn.cursor(row_factory=dict_row) as cur,
        ):
            return [GapReport(**r) for r in cur.execute(_FOR_OWNER, params).fetchall()]

    def agent_sop(self, sop_id: str) -> dict[str, Any] | None:
        """The agent SOP document (title, sections) a report refers to, if any."""
        with storage_errors(f"read agent SOP {sop_id}"):
            row = self.conn.execute(_AGENT_SOP, (sop_id,)).fetchone()
        return row[0] if row and isinstance(row[0], dict) else None
