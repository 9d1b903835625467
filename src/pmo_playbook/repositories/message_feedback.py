"""SQL of message ratings (table message_feedback): one rating per (message, session),
upserted in one statement so double clicks and races never collide (D18)."""

from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from pmo_playbook.documents.common import new_object_id, now_iso
from pmo_playbook.documents.feedback import MessageRating
from pmo_playbook.repositories.base import Repository, storage_errors

# A second rating of the same message updates rating and reason (legacy), keeps the rest.
_UPSERT = """
INSERT INTO message_feedback
    (message_id, session_id, legacy_id, rating, sop_used, confidence, data)
VALUES (%(message_id)s, %(session_id)s, %(legacy_id)s, %(rating)s, %(sop_used)s,
        %(confidence)s, %(data)s)
ON CONFLICT (message_id, session_id) DO UPDATE
SET rating = EXCLUDED.rating,
    data = message_feedback.data
           || jsonb_build_object('rating', EXCLUDED.rating, 'updatedAt', %(now_iso)s::text)
           || CASE WHEN %(reason)s::text IS NULL THEN '{}'::jsonb
                   ELSE jsonb_build_object('feedbackReason', %(reason)s::text) END
RETURNING legacy_id, message_id, session_id, rating, sop_used, confidence, data,
          created_at, updated_at, (xmax = 0) AS inserted
"""
_BY_SESSION = """
SELECT legacy_id, message_id, session_id, rating, sop_used, confidence, data,
       created_at, updated_at
FROM message_feedback WHERE session_id = %s ORDER BY created_at DESC, id DESC
"""
_RECENT = """
SELECT legacy_id, message_id, session_id, rating, sop_used, confidence, data,
       created_at, updated_at
FROM message_feedback ORDER BY created_at DESC, id DESC LIMIT %s
"""
_DELETE = "DELETE FROM message_feedback WHERE message_id = %s AND session_id = %s"


class MessageFeedbackRepository(Repository):
    """Reads and writes of message_feedback over one connection (never commits)."""

    def upsert(
        self,
        message_id: str,
        session_id: str,
        rating: str,
        sop_used: str,
        confidence: float,
        reason: str | None,
    ) -> tuple[MessageRating, bool]:
        """Insert the rating or update the existing one; (row, True when newly created)."""
        stamp = now_iso()
        data: dict[str, Any] = {
            "messageId": message_id,
            "sessionId": session_id,
            "rating": rating,
            "sopUsed": sop_used,
            "confidence": confidence,
        }
        if reason is not None:
            data["feedbackReason"] = reason
        data.update({"createdAt": stamp, "updatedAt": stamp, "__v": 0})
        params = {
            "message_id": message_id,
            "session_id": session_id,
            "legacy_id": new_object_id(),
            "rating": rating,
            "sop_used": sop_used,
            "confidence": confidence,
            "data": Jsonb(data),
            "now_iso": stamp,
            "reason": reason,
        }
        with (
            storage_errors(f"rate message {message_id} of session {session_id}"),
            self.conn.cursor(row_factory=dict_row) as cur,
        ):
            row = cur.execute(_UPSERT, params).fetchone()
        assert row is not None
        inserted = bool(row.pop("inserted"))
        return MessageRating(**row), inserted

    def for_session(self, session_id: str) -> list[MessageRating]:
        """Ratings of one session, newest first."""
        return self._many(_BY_SESSION, (session_id,))

    def recent(self, limit: int) -> list[MessageRating]:
        """The newest ratings."""
        return self._many(_RECENT, (limit,))

    def delete(self, message_id: str, session_id: str) -> bool:
        """Remove a rating; False when there was none."""
        with storage_errors(f"remove rating of {message_id}"):
            return self.conn.execute(_DELETE, (message_id, session_id)).rowcount > 0

    def _many(self, query: str, params: Any) -> list[MessageRating]:
        with storage_errors("list ratings"), self.conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(query, params).fetchall()
        return [MessageRating(**r) for r in rows]
