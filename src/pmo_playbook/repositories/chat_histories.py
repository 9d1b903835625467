"""SQL of chat sessions (table chat_histories): race-free appends, owner-scoped reads.

Ownership is the `user_id` column (the actor's owner key). A caller with no owner key (None)
matches only unowned rows (`user_id IS NULL`: migrated legacy sessions and sessions written
before authentication), never someone else's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from pmo_playbook.documents.chat import ChatSession, message_id_at
from pmo_playbook.documents.common import new_object_id, to_iso, utc_now
from pmo_playbook.errors import NotFound
from pmo_playbook.repositories.base import Repository, storage_errors

_COLUMNS = sql.SQL(
    "legacy_id, session_id, user_id, status, started_at, last_active, created_at, updated_at, data"
)
_MESSAGES = sql.SQL(
    "(CASE WHEN jsonb_typeof(data->'messages') = 'array' THEN data->'messages' ELSE '[]' END)"
)

# Creating the session is idempotent: a concurrent first message waits for the other insert and
# then does nothing (D17: no duplicate key, no lost message).
_INSERT_IF_MISSING = """
INSERT INTO chat_histories
    (session_id, legacy_id, user_id, status, started_at, last_active, created_at, updated_at, data)
VALUES (%(sid)s, %(legacy_id)s, %(owner)s, 'active', %(now)s, %(now)s, %(now)s, %(now)s, %(data)s)
ON CONFLICT (session_id) DO NOTHING
"""
_LOCK_FOR_APPEND = """
SELECT user_id,
       CASE WHEN jsonb_typeof(data->'messages') = 'array'
            THEN jsonb_array_length(data->'messages') ELSE 0 END AS count,
       data->'sopUsage' AS sop_usage
FROM chat_histories WHERE session_id = %s FOR UPDATE
"""
_APPEND = """
UPDATE chat_histories
SET data = jsonb_set(
        jsonb_set(data, '{messages}',
                  (CASE WHEN jsonb_typeof(data->'messages') = 'array'
                        THEN data->'messages' ELSE '[]' END) || %(messages)s),
        '{sopUsage}', %(usage)s)
      || jsonb_build_object('lastActive', %(now_iso)s::text, 'updatedAt', %(now_iso)s::text),
    last_active = %(now)s,
    updated_at = %(now)s
WHERE session_id = %(sid)s
"""
_SET_SUMMARIES = """
UPDATE chat_histories c SET data = c.data || jsonb_build_object('summary', t.s)
FROM unnest(%s::text[], %s::text[]) AS t(id, s)
WHERE c.session_id = t.id AND coalesce(c.data->>'summary', '') = ''
"""


def _owner_clause(owner_key: str | None) -> sql.Composable:
    """`user_id = %(owner)s` (bound), or `user_id IS NULL` for a caller without an owner key."""
    if owner_key is None:
        return sql.SQL("user_id IS NULL")
    return sql.SQL("user_id = %(owner)s")


def _merge_usage(existing: Any, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """sopUsage after appending `messages` (legacy pre-save rule, applied incrementally)."""
    usage = [dict(u) for u in existing if isinstance(u, dict)] if isinstance(existing, list) else []
    for message in messages:
        sop_id = message.get("selectedSopId")
        if not isinstance(sop_id, str) or not sop_id:
            continue
        entry = next((u for u in usage if u.get("sopId") == sop_id), None)
        if entry is None:
            usage.append({"sopId": sop_id, "usageCount": 1, "lastUsed": message["timestamp"]})
        else:
            count = entry.get("usageCount")
            entry["usageCount"] = (count if isinstance(count, int) else 0) + 1
            entry["lastUsed"] = message["timestamp"]
    return usage


def _new_session_document(
    session_id: str, owner_key: str | None, user_agent: str | None, now_iso: str
) -> dict[str, Any]:
    data: dict[str, Any] = {"sessionId": session_id}
    if owner_key is not None:
        data["userId"] = owner_key
    data.update(
        {
            "messages": [],
            "sopUsage": [],
            "metadata": {"userAgent": user_agent} if user_agent else {},
            "tags": [],
            "status": "active",
            "startedAt": now_iso,
            "lastActive": now_iso,
            "createdAt": now_iso,
            "updatedAt": now_iso,
            "__v": 0,
        }
    )
    return data


class ChatHistoryRepository(Repository):
    """Reads and writes of chat_histories over one connection (never commits)."""

    def append_turn(
        self,
        session_id: str,
        owner_key: str | None,
        messages: list[dict[str, Any]],
        user_agent: str | None,
    ) -> list[str]:
        """Append `messages` atomically (creating the session if missing); their stable ids.

        The row is locked for the read-modify-write of sopUsage; messages are appended with
        `||`, never rewritten. A session owned by someone else is reported as not found."""
        now = utc_now()
        now_iso = to_iso(now)
        with storage_errors(f"append to session {session_id}"):
            document = _new_session_document(session_id, owner_key, user_agent, now_iso)
            self.conn.execute(
                _INSERT_IF_MISSING,
                {
                    "sid": session_id,
                    "legacy_id": new_object_id(),
                    "owner": owner_key,
                    "now": now,
                    "data": Jsonb(document),
                },
            )
            row = self.conn.execute(_LOCK_FOR_APPEND, (session_id,)).fetchone()
            if row is None or row[0] != owner_key:
                raise NotFound("Session not found", details={"sessionId": session_id})
            start = int(row[1])
            stamped = []
            for offset, message in enumerate(messages):
                item = dict(message)
                item["messageId"] = message_id_at(start + offset)
                if not item.get("timestamp"):
                    item["timestamp"] = now_iso
                stamped.append(item)
            self.conn.execute(
                _APPEND,
                {
                    "sid": session_id,
                    "messages": Jsonb(stamped),
                    "usage": Jsonb(_merge_usage(row[2], stamped)),
                    "now": now,
                    "now_iso": now_iso,
                },
            )
        return [m["messageId"] for m in stamped]

    def get_session(self, session_id: str) -> ChatSession | None:
        """The session with this id, whoever owns it (admin viewer, internal checks)."""
        query = sql.SQL("SELECT {} FROM chat_histories WHERE session_id = %(sid)s").format(_COLUMNS)
        return self._one(query, {"sid": session_id}, session_id)

    def get_owned(self, session_id: str, owner_key: str | None) -> ChatSession | None:
        """The session if `owner_key` owns it, else None (not found and not yours look alike)."""
        query = sql.SQL("SELECT {} FROM chat_histories WHERE session_id = %(sid)s AND {}").format(
            _COLUMNS, _owner_clause(owner_key)
        )
        return self._one(query, {"sid": session_id, "owner": owner_key}, session_id)

    def list_sessions(self, owner_key: str | None, limit: int) -> list[ChatSession]:
        """The owner's sessions, most recently active first."""
        query = sql.SQL(
            "SELECT {} FROM chat_histories WHERE {} "
            "ORDER BY last_active DESC, id DESC LIMIT %(limit)s"
        ).format(_COLUMNS, _owner_clause(owner_key))
        return self._many(query, {"owner": owner_key, "limit": limit})

    def list_active_sessions(self, owner_key: str | None, limit: int) -> list[ChatSession]:
        """The owner's sessions with status active, newest start first (getActiveSessions)."""
        query = sql.SQL(
            "SELECT {} FROM chat_histories WHERE {} AND status = 'active' "
            "ORDER BY started_at DESC, id DESC LIMIT %(limit)s"
        ).format(_COLUMNS, _owner_clause(owner_key))
        return self._many(query, {"owner": owner_key, "limit": limit})

    def rename(
        self,
        session_id: str,
        owner_key: str | None,
        patch: dict[str, Any],
        last_active: datetime | None,
    ) -> ChatSession | None:
        """Merge `patch` into the owner's session (and bump lastActive when given)."""
        now_iso = to_iso(utc_now())
        changes = dict(patch)
        changes["updatedAt"] = now_iso
        if last_active is not None:
            changes["lastActive"] = to_iso(last_active)
        query = sql.SQL(
            "UPDATE chat_histories SET data = data || %(changes)s, "
            "last_active = coalesce(%(last_active)s, last_active) "
            "WHERE session_id = %(sid)s AND {} RETURNING {}"
        ).format(_owner_clause(owner_key), _COLUMNS)
        params = {
            "changes": Jsonb(changes),
            "last_active": last_active,
            "sid": session_id,
            "owner": owner_key,
        }
        return self._one(query, params, session_id)

    def delete(self, session_id: str, owner_key: str | None) -> bool:
        """Hard-delete the owner's session (as legacy); False when there was none."""
        query = sql.SQL("DELETE FROM chat_histories WHERE session_id = %(sid)s AND {}").format(
            _owner_clause(owner_key)
        )
        with storage_errors(f"delete session {session_id}"):
            params = {"sid": session_id, "owner": owner_key}
            return self.conn.execute(query, params).rowcount > 0

    def recent_messages(
        self, session_id: str, owner_key: str | None, n: int
    ) -> list[dict[str, Any]]:
        """The last `n` non-system messages of the owner's session, oldest first, with ids."""
        query = sql.SQL(
            "SELECT e.m, e.ord - 1 FROM chat_histories c, "
            "jsonb_array_elements({}) WITH ORDINALITY AS e(m, ord) "
            "WHERE c.session_id = %(sid)s AND {} AND e.m->>'role' IS DISTINCT FROM 'system' "
            "ORDER BY e.ord DESC LIMIT %(n)s"
        ).format(_MESSAGES, _owner_clause(owner_key))
        with storage_errors(f"read session {session_id}"):
            params = {"sid": session_id, "owner": owner_key, "n": n}
            rows = self.conn.execute(query, params).fetchall()
        out = []
        for message, index in reversed(rows):
            item = dict(message) if isinstance(message, dict) else {"content": message}
            item.setdefault("messageId", message_id_at(int(index)))
            out.append(item)
        return out

    def find_message(
        self, session_id: str, owner_key: str | None, message_id: str
    ) -> tuple[bool, dict[str, Any] | None]:
        """(the owner's session exists, the message with this stable id or None)."""
        query = sql.SQL(
            "SELECT (SELECT e.m FROM jsonb_array_elements({}) WITH ORDINALITY AS e(m, ord) "
            "WHERE coalesce(e.m->>'messageId', 'msg-' || (e.ord - 1)) = %(mid)s LIMIT 1) "
            "FROM chat_histories WHERE session_id = %(sid)s AND {}"
        ).format(_MESSAGES, _owner_clause(owner_key))
        params = {"sid": session_id, "owner": owner_key, "mid": message_id}
        with storage_errors(f"read session {session_id}"):
            row = self.conn.execute(query, params).fetchone()
        if row is None:
            return False, None
        return True, row[0] if isinstance(row[0], dict) else None

    def set_summaries(self, summaries: dict[str, str]) -> None:
        """Store generated titles in `summary` where none is set yet (one statement)."""
        if not summaries:
            return
        with storage_errors("store session titles"):
            self.conn.execute(_SET_SUMMARIES, (list(summaries), list(summaries.values())))

    def _one(self, query: sql.Composed, params: Any, session_id: str) -> ChatSession | None:
        with (
            storage_errors(f"read session {session_id}"),
            self.conn.cursor(row_factory=dict_row) as cur,
        ):
            row = cur.execute(query, params).fetchone()
        return None if row is None else ChatSession(**row)

    def _many(self, query: sql.Composed, params: Any) -> list[ChatSession]:
        with storage_errors("list sessions"), self.conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(query, params).fetchall()
        return [ChatSession(**row) for row in rows]


def append_turn(
    conn: psycopg.Connection[Any],
    session_id: str,
    owner_key: str | None,
    messages: list[dict[str, Any]],
    user_agent: str | None,
) -> list[str]:
    """Module-level form of `ChatHistoryRepository.append_turn` (the chat engineer's entry)."""
    return ChatHistoryRepository(conn).append_turn(session_id, owner_key, messages, user_agent)
