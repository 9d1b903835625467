"""SQL of `login_sessions`: the cookie holds a random id, the table its sha256 digest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from pmo_playbook.documents.users import LoginSession
from pmo_playbook.errors import StorageError

_INSERT = """
INSERT INTO login_sessions (session_hash, user_id, expires_at) VALUES (%s, %s, %s)
RETURNING id, user_id, created_at, expires_at
"""
# A live session of an active user.
_LOOKUP = """
SELECT s.id, s.user_id, s.created_at, s.expires_at FROM login_sessions s
  JOIN users u USING (user_id)
 WHERE s.session_hash = %s AND s.expires_at > now() AND u.is_active
"""
_DELETE = "DELETE FROM login_sessions WHERE session_hash = %s"
_DELETE_USER = "DELETE FROM login_sessions WHERE user_id = %s"
_PURGE = "DELETE FROM login_sessions WHERE expires_at <= now()"


class LoginSessionRepository:
    """Server-side login sessions."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def _run(self, query: str, params: Any) -> psycopg.Cursor[dict[str, Any]]:
        try:
            cur = self.conn.cursor(row_factory=dict_row)
            cur.execute(query, params)
            return cur
        except psycopg.Error as exc:
            raise StorageError(f"login_sessions query failed: {type(exc).__name__}") from exc

    def create(self, session_hash: str, user_id: str, expires_at: datetime) -> LoginSession:
        row = self._run(_INSERT, (session_hash, user_id, expires_at)).fetchone()
        assert row is not None
        return LoginSession(**row)

    def lookup(self, session_hash: str) -> LoginSession | None:
        row = self._run(_LOOKUP, (session_hash,)).fetchone()
        return None if row is None else LoginSession(**row)

    def delete(self, session_hash: str) -> bool:
        return self._run(_DELETE, (session_hash,)).rowcount == 1

    def delete_for_user(self, user_id: str) -> int:
        return self._run(_DELETE_USER, (user_id,)).rowcount

    def purge_expired(self) -> int:
        return self._run(_PURGE, ()).rowcount
