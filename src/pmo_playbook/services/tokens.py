"""API tokens and the opaque random values behind cookies: made here, stored as sha256 digests.

An API token looks like `pmo_<43 url-safe characters>` (32 random bytes): the `pmo_` prefix
makes a leaked token recognisable to secret scanners. Its first 12 characters are kept as a
display prefix to tell tokens apart (`pmo users tokens`, `pmo users revoke-token`). A
high-entropy token needs no slow hash: sha256 is enough and allows an indexed lookup.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any

import psycopg

from pmo_playbook.documents.users import ApiToken
from pmo_playbook.errors import InvalidInput, NotFound
from pmo_playbook.repositories.api_tokens import ApiTokenRepository
from pmo_playbook.services.users import get_user_by_email

log = logging.getLogger(__name__)

TOKEN_PREFIX = "pmo_"  # noqa: S105 - the public prefix
DISPLAY_PREFIX_LENGTH = 12
NAME_MAX = 100


def digest(value: str) -> str:
    """The sha256 hex digest stored instead of a token or session id."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def random_secret() -> str:
    """32 random bytes, url-safe text (session ids, visitor ids)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class IssuedToken:
    """A new token: `token` is shown once and never stored."""

    token: str
    record: ApiToken


def issue_token(conn: psycopg.Connection[Any], email: str, name: str | None = None) -> IssuedToken:
    """Create an API token for the user with `email`."""
    user = get_user_by_email(conn, email)
    label = (name or "").strip() or "default"
    if len(label) > NAME_MAX:
        raise InvalidInput(f"token name too long: at most {NAME_MAX} characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiTokenRepository(conn).insert(
        user.user_id, label, token[:DISPLAY_PREFIX_LENGTH], digest(token)
    )
    log.info("API token %s (%s) issued for user %s", record.id, record.prefix, user.user_id)
    return IssuedToken(token=token, record=record)


def user_id_for_token(conn: psycopg.Connection[Any], token: str) -> str | None:
    """The user id an active token belongs to (its user active too), or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    return ApiTokenRepository(conn).use(digest(token))


def list_tokens(conn: psycopg.Connection[Any], email: str | None = None) -> list[ApiToken]:
    """Every token record, or those of one user."""
    user_id = get_user_by_email(conn, email).user_id if email else None
    return ApiTokenRepository(conn).list_for(user_id)


def revoke_token(conn: psycopg.Connection[Any], ref: str, email: str | None = None) -> ApiToken:
    """Revoke one token named by its numeric id, its display prefix, or its name.

    A prefix or name that matches several tokens is refused (narrow it with the user's email or
    use the id); revoking an already revoked token is an error too, so scripts notice typos."""
    repo = ApiTokenRepository(conn)
    user_id = get_user_by_email(conn, email).user_id if email else None
    ref = ref.strip()
    if ref.isdigit():
        found = repo.get(int(ref))
        matches = [found] if found and (user_id is None or found.user_id == user_id) else []
    else:
        matches = repo.find(ref, user_id)
    if not matches:
        raise NotFound(f"no API token with id, prefix or name {ref!r}")
    if len(matches) > 1:
        ids = ", ".join(str(t.id) for t in matches)
        raise InvalidInput(f"{ref!r} matches several tokens (ids {ids}); give the id")
    token = matches[0]
    if not repo.revoke(token.id):
        raise InvalidInput(f"API token {token.id} ({token.prefix}) is already revoked")
    log.info("API token %s (%s) revoked", token.id, token.prefix)
    refreshed = repo.get(token.id)
    assert refreshed is not None
    return refreshed
