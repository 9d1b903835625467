"""SQL of `login_sessions`: the cookie holds a random id, the table its sha256 digest."""

from __future__ import annotations

from datetime import datetime

from pmo_playbook.documents.users import LoginSession
from pmo_playbook.repositories.base import Repository

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


class LoginSessionRepository(Repository):
    """Server-side login sessions."""

    subject = "login session"

    def create(self, session_hash: str, user_id: str, expires_at: datetime) -> LoginSession:
        row = self._dict(_INSERT, (session_hash, user_id, expires_at))
        assert row is not None
        return LoginSession(**row)

    def lookup(self, session_hash: str) -> LoginSession | None:
        row = self._dict(_LOOKUP, (session_hash,))
        return None if row is None else LoginSession(**row)

    def delete(self, session_hash: str) -> bool:
        return self._execute(_DELETE, (session_hash,)).rowcount == 1

    def delete_for_user(self, user_id: str) -> int:
        return self._execute(_DELETE_USER, (user_id,)).rowcount

    def purge_expired(self) -> int:
        return self._execute(_PURGE).rowcount
