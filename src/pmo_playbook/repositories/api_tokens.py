"""SQL of `api_tokens`: only sha256 digests of tokens are stored."""

from __future__ import annotations

from typing import Any

from pmo_playbook.documents.users import ApiToken
from pmo_playbook.repositories.base import Repository

_COLUMNS = """t.id, t.user_id, u.email, t.name, t.prefix, t.created_at, t.last_used_at,
    t.revoked_at"""
_INSERT = """
INSERT INTO api_tokens (user_id, name, prefix, token_hash) VALUES (%s, %s, %s, %s) RETURNING id
"""
_BY_ID = f"SELECT {_COLUMNS} FROM api_tokens t JOIN users u USING (user_id) WHERE t.id = %s"  # noqa: S608
_LIST = f"""
SELECT {_COLUMNS} FROM api_tokens t JOIN users u USING (user_id)
 WHERE (%(user_id)s::text IS NULL OR t.user_id = %(user_id)s)
 ORDER BY t.id
"""  # noqa: S608
_FIND = f"""
SELECT {_COLUMNS} FROM api_tokens t JOIN users u USING (user_id)
 WHERE (t.prefix = %(ref)s OR t.name = %(ref)s)
   AND (%(user_id)s::text IS NULL OR t.user_id = %(user_id)s)
 ORDER BY t.id
"""  # noqa: S608
# An active token of an active user; last_used_at is refreshed at most once a minute.
_USE = """
WITH hit AS (
    SELECT t.id, t.user_id FROM api_tokens t JOIN users u USING (user_id)
     WHERE t.token_hash = %s AND t.revoked_at IS NULL AND u.is_active
), touch AS (
    UPDATE api_tokens SET last_used_at = now()
     WHERE id IN (SELECT id FROM hit)
       AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
)
SELECT user_id FROM hit
"""
_REVOKE = "UPDATE api_tokens SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL"


class ApiTokenRepository(Repository):
    """API token records."""

    subject = "API token"

    def _rows(self, query: str, params: Any) -> list[dict[str, Any]]:
        return self._dicts(query, params)

    def insert(self, user_id: str, name: str, prefix: str, token_hash: str) -> ApiToken:
        rows = self._rows(_INSERT, (user_id, name, prefix, token_hash))
        token = self.get(int(rows[0]["id"]))
        assert token is not None
        return token

    def get(self, token_id: int) -> ApiToken | None:
        rows = self._rows(_BY_ID, (token_id,))
        return ApiToken(**rows[0]) if rows else None

    def list_for(self, user_id: str | None = None) -> list[ApiToken]:
        return [ApiToken(**row) for row in self._rows(_LIST, {"user_id": user_id})]

    def find(self, ref: str, user_id: str | None = None) -> list[ApiToken]:
        """Tokens whose prefix or name equals `ref` (optionally of one user)."""
        return [ApiToken(**row) for row in self._rows(_FIND, {"ref": ref, "user_id": user_id})]

    def use(self, token_hash: str) -> str | None:
        """The user id of the active token with this digest (and note its use), or None."""
        rows = self._rows(_USE, (token_hash,))
        return str(rows[0]["user_id"]) if rows else None

    def revoke(self, token_id: int) -> bool:
        """Revoke a token; False when it was already revoked."""
        return self._execute(_REVOKE, (token_id,)).rowcount == 1
