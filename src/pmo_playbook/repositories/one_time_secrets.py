"""SQL of `one_time_secrets`: store a sealed secret, take it (read and delete) once."""

from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row

from pmo_playbook.repositories.base import Repository, storage_errors

_PRUNE = "DELETE FROM one_time_secrets WHERE expires_at < now()"
_INSERT = """
INSERT INTO one_time_secrets (id, user_id, label, notice, sealed, expires_at)
VALUES (%(id)s, %(user_id)s, %(label)s, %(notice)s, %(sealed)s,
        now() + make_interval(secs => %(ttl)s))
"""
_TAKE = """
DELETE FROM one_time_secrets
 WHERE id = %(id)s AND user_id = %(user_id)s AND expires_at >= now()
RETURNING label, notice, sealed
"""


class OneTimeSecretsRepository(Repository):
    """Sealed secrets waiting for their one showing, over one connection (never commits)."""

    def put(
        self, key: str, user_id: str, label: str, notice: str, sealed: bytes, ttl_seconds: int
    ) -> None:
        params = {
            "id": key,
            "user_id": user_id,
            "label": label,
            "notice": notice,
            "sealed": sealed,
            "ttl": ttl_seconds,
        }
        with storage_errors("one-time secret"):
            self.conn.execute(_PRUNE)  # expired, never shown: nothing may keep them
            self.conn.execute(_INSERT, params)

    def take(self, key: str, user_id: str) -> dict[str, Any] | None:
        """The row for `key` if it belongs to `user_id` and has not expired, deleted as read."""
        with storage_errors("one-time secret"), self.conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(_TAKE, {"id": key, "user_id": user_id}).fetchone()
