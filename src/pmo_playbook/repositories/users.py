"""SQL of the `users` table (application side; the migration loader writes it in bulk).

Updates of migrated rows touch only plain fields through jsonb operators (`data || ...`), so
unknown keys and existing BSON annotations stay valid. The password hash is a column of its own
and is read only by `get_credentials`.
"""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from pmo_playbook.documents.users import User, UserCredentials
from pmo_playbook.repositories.base import Repository

_COLUMNS = """legacy_id, user_id, email, role, is_active, last_login,
    password_hash IS NOT NULL AS has_password, data, created_at, updated_at"""
_BY_EMAIL = f"SELECT {_COLUMNS} FROM users WHERE lower(email) = lower(%s)"  # noqa: S608
_BY_USER_ID = f"SELECT {_COLUMNS} FROM users WHERE user_id = %s"  # noqa: S608
_CREDENTIALS = f"SELECT {_COLUMNS}, password_hash FROM users WHERE lower(email) = lower(%s)"  # noqa: S608
_LIST = f"SELECT {_COLUMNS} FROM users ORDER BY lower(email)"  # noqa: S608
_INSERT = f"""
INSERT INTO users (legacy_id, user_id, email, role, is_active, data, password_hash,
                   password_changed_at)
VALUES (%(legacy_id)s, %(user_id)s, %(email)s, %(role)s, %(is_active)s, %(data)s,
        %(password_hash)s, CASE WHEN %(password_hash)s::text IS NULL THEN NULL ELSE now() END)
RETURNING {_COLUMNS}
"""  # noqa: S608
_SET_HASH = """
UPDATE users SET password_hash = %s, password_changed_at = now(),
       data = data || jsonb_build_object('updatedAt', %s::text)
 WHERE user_id = %s
"""
_REHASH = "UPDATE users SET password_hash = %s WHERE user_id = %s"
_SET_ROLE = f"""
UPDATE users SET role = %(role)s,
       data = data || jsonb_build_object('role', %(role)s::text, 'permissions', %(perms)s::jsonb,
                                         'updatedAt', %(now)s::text)
 WHERE user_id = %(user_id)s
RETURNING {_COLUMNS}
"""  # noqa: S608
_SET_ACTIVE = f"""
UPDATE users SET is_active = %(active)s,
       data = data || jsonb_build_object('isActive', %(active)s::boolean, 'updatedAt',
                                         %(now)s::text)
 WHERE user_id = %(user_id)s
RETURNING {_COLUMNS}
"""  # noqa: S608
_RECORD_LOGIN = """
UPDATE users SET last_login = %(at)s,
       data = data || jsonb_build_object('lastLogin', %(iso)s::text)
 WHERE user_id = %(user_id)s
"""


class UserRepository(Repository):
    """Reads and writes users rows; returns `User` models, never raw tuples."""

    subject = "user"

    def _one(self, query: str, params: Any) -> dict[str, Any] | None:
        return self._dict(query, params)

    def get_by_email(self, email: str) -> User | None:
        row = self._one(_BY_EMAIL, (email,))
        return None if row is None else User(**row)

    def get_by_user_id(self, user_id: str) -> User | None:
        row = self._one(_BY_USER_ID, (user_id,))
        return None if row is None else User(**row)

    def get_credentials(self, email: str) -> UserCredentials | None:
        """The user and the stored password hash (login only)."""
        row = self._one(_CREDENTIALS, (email,))
        if row is None:
            return None
        password_hash = row.pop("password_hash")
        return UserCredentials(user=User(**row), password_hash=password_hash)

    def list_all(self) -> list[User]:
        return [User(**row) for row in self._dicts(_LIST)]

    def insert(
        self,
        *,
        legacy_id: str,
        user_id: str,
        email: str,
        role: str,
        data: dict[str, Any],
        password_hash: str | None,
    ) -> User:
        params = {
            "legacy_id": legacy_id,
            "user_id": user_id,
            "email": email,
            "role": role,
            "is_active": data.get("isActive", True) is not False,
            "data": Jsonb(data),
            "password_hash": password_hash,
        }
        row = self._one(_INSERT, params)
        assert row is not None
        return User(**row)

    def set_password_hash(self, user_id: str, password_hash: str, now_iso: str) -> None:
        self._one(_SET_HASH, (password_hash, now_iso, user_id))

    def replace_hash(self, user_id: str, password_hash: str) -> None:
        """Upgrade a hash made with older parameters (the password itself is unchanged)."""
        self._one(_REHASH, (password_hash, user_id))

    def set_role(
        self, user_id: str, role: str, permissions: dict[str, bool], now_iso: str
    ) -> User | None:
        params = {"role": role, "perms": Jsonb(permissions), "now": now_iso, "user_id": user_id}
        row = self._one(_SET_ROLE, params)
        return None if row is None else User(**row)

    def set_active(self, user_id: str, active: bool, now_iso: str) -> User | None:
        row = self._one(_SET_ACTIVE, {"active": active, "now": now_iso, "user_id": user_id})
        return None if row is None else User(**row)

    def record_login(self, user_id: str, at: Any, iso: str) -> None:
        """Set last_login and the document's lastLogin (legacy `updateLastLogin()`)."""
        self._one(_RECORD_LOGIN, {"at": at, "iso": iso, "user_id": user_id})
