"""User administration from the web pages: the `pmo users` operations behind an admin check,
each one recorded in the audit log (who, when, what) in the same transaction.

New passwords and API tokens are generated here and returned once to be shown once; they are
never stored in clear nor written to the audit log. An admin cannot deactivate or demote
themselves, so the last way into the admin pages is never closed from inside them.
"""

from __future__ import annotations

import secrets
from typing import Any

import psycopg

from pmo_playbook.documents.users import ApiToken, User
from pmo_playbook.errors import InvalidInput, NotFound
from pmo_playbook.repositories.api_tokens import ApiTokenRepository
from pmo_playbook.repositories.users import UserRepository
from pmo_playbook.services import tokens, users
from pmo_playbook.services.actor import Actor, Role
from pmo_playbook.services.audit import record_action
from pmo_playbook.services.sessions import require


def _require_admin(actor: Actor) -> None:
    require(actor, actor.role == Role.ADMIN or actor.is_system, "manage users")


def _user(conn: psycopg.Connection[Any], user_id: str) -> User:
    user = UserRepository(conn).get_by_user_id(user_id)
    if user is None:
        raise NotFound("User not found", details={"userId": user_id})
    return user


def _not_self(actor: Actor, user: User, what: str) -> None:
    if actor.user_id == user.user_id:
        raise InvalidInput(f"You cannot {what} your own account", details={"field": what})


def list_accounts(conn: psycopg.Connection[Any], actor: Actor) -> list[tuple[User, list[ApiToken]]]:
    """Every user with their API token records, by email."""
    _require_admin(actor)
    by_user: dict[str, list[ApiToken]] = {}
    for token in ApiTokenRepository(conn).list_for(None):
        by_user.setdefault(token.user_id, []).append(token)
    return [(user, by_user.get(user.user_id, [])) for user in users.list_users(conn)]


def new_password() -> str:
    """A random password that satisfies the policy (shown once to the admin)."""
    return secrets.token_urlsafe(12)


def add_user(
    conn: psycopg.Connection[Any], actor: Actor, email: str, name: str, role: str
) -> tuple[User, str]:
    """Create a user with a generated password: (user, password to show once)."""
    _require_admin(actor)
    password = new_password()
    user = users.create_user(conn, email, name, role, password)
    record_action(conn, actor, "user.create", "user", user.email, role=role)
    return user, password


def change_role(conn: psycopg.Connection[Any], actor: Actor, user_id: str, role: str) -> User:
    """Give a user another role (its permission flags follow the legacy table)."""
    _require_admin(actor)
    user = _user(conn, user_id)
    if role != user.role:
        _not_self(actor, user, "change the role of")
    updated = users.set_role(conn, user.email, role)
    record_action(conn, actor, "user.role", "user", user.email, old=user.role, new=role)
    return updated


def change_active(conn: psycopg.Connection[Any], actor: Actor, user_id: str, active: bool) -> User:
    """Activate or deactivate a user (a deactivated user's sessions and tokens stop at once)."""
    _require_admin(actor)
    user = _user(conn, user_id)
    if not active:
        _not_self(actor, user, "deactivate")
    updated = users.set_active(conn, user.email, active)
    action = "user.activate" if active else "user.deactivate"
    record_action(conn, actor, action, "user", user.email)
    return updated


def reset_password(conn: psycopg.Connection[Any], actor: Actor, user_id: str) -> tuple[User, str]:
    """Replace a user's password with a generated one (their login sessions end)."""
    _require_admin(actor)
    user = _user(conn, user_id)
    password = new_password()
    users.set_password(conn, user.email, password)
    record_action(conn, actor, "user.reset_password", "user", user.email)
    return user, password


def issue_api_token(
    conn: psycopg.Connection[Any], actor: Actor, user_id: str, name: str
) -> tokens.IssuedToken:
    """A new API token for a user; the token itself is returned once and never stored."""
    _require_admin(actor)
    user = _user(conn, user_id)
    issued = tokens.issue_token(conn, user.email, name)
    record = issued.record
    record_action(
        conn, actor, "token.issue", "user", user.email, token=record.id, prefix=record.prefix
    )
    return issued


def revoke_api_token(conn: psycopg.Connection[Any], actor: Actor, token_id: int) -> ApiToken:
    """Revoke one token by its id."""
    _require_admin(actor)
    token = tokens.revoke_token(conn, str(token_id))
    record_action(
        conn, actor, "token.revoke", "user", token.email, token=token.id, prefix=token.prefix
    )
    return token
