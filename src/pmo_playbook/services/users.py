"""Users: create, passwords, roles, listing, and the Actor a user acts as.

Migrated legacy users keep their userId, role and permission flags; they have no password until
one is set (`pmo users set-password`). Changing the role replaces the permission flags with the
legacy table (§1.9 pre-save hook). These functions take the connection and never commit.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import psycopg

from pmo_playbook.documents.common import new_object_id, now_iso, render_row
from pmo_playbook.documents.users import (
    PERMISSION_KEYS,
    ROLE_PERMISSION_FLAGS,
    ROLES,
    User,
    is_valid_email,
    new_user_id,
    normalize_email,
)
from pmo_playbook.errors import Conflict, InvalidInput, NotFound
from pmo_playbook.repositories.login_sessions import LoginSessionRepository
from pmo_playbook.repositories.users import UserRepository
from pmo_playbook.services.actor import Actor, Permission, Role
from pmo_playbook.services.passwords import check_policy, hash_password

log = logging.getLogger(__name__)

NAME_MAX = 200
DEMO_ADMIN_EMAIL = "admin@pmo-playbook.local"


def _checked_email(email: str) -> str:
    normalized = normalize_email(email)
    if not is_valid_email(normalized) or len(normalized) > 320:
        raise InvalidInput(f"invalid email address {email!r}")
    return normalized


def _checked_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"invalid role {role!r}: expected one of {', '.join(ROLES)}")
    return role


def get_user_by_email(conn: psycopg.Connection[Any], email: str) -> User:
    """The user with `email` (case-insensitive) or NotFound."""
    user = UserRepository(conn).get_by_email(normalize_email(email))
    if user is None:
        raise NotFound(f"no user with email {normalize_email(email)!r}")
    return user


def find_user(conn: psycopg.Connection[Any], user_id: str | None) -> User | None:
    """The user with `user_id`, or None (no id, or the user is gone)."""
    return UserRepository(conn).get_by_user_id(user_id) if user_id else None


def create_user(
    conn: psycopg.Connection[Any],
    email: str,
    name: str,
    role: str = "user",
    password: str | None = None,
) -> User:
    """Create a user in the legacy document shape; `password` None leaves login disabled."""
    address = _checked_email(email)
    clean_name = name.strip()
    if not clean_name or len(clean_name) > NAME_MAX:
        raise InvalidInput(f"invalid name: 1 to {NAME_MAX} characters required")
    _checked_role(role)
    if password is not None:
        check_policy(password)
    if UserRepository(conn).get_by_email(address) is not None:
        raise Conflict(f"a user with email {address!r} already exists")
    now = now_iso()
    user_id = new_user_id()
    data: dict[str, Any] = {
        "userId": user_id,
        "email": address,
        "name": clean_name,
        "role": role,
        "permissions": dict(ROLE_PERMISSION_FLAGS[role]),
        "preferences": {"emailNotifications": True, "theme": "light"},
        "isActive": True,
        "createdAt": now,
        "updatedAt": now,
        "__v": 0,
    }
    user = UserRepository(conn).insert(
        legacy_id=new_object_id(),
        user_id=user_id,
        email=address,
        role=role,
        data=data,
        password_hash=hash_password(password) if password is not None else None,
    )
    log.info("user %s created with role %s", user.user_id, role)
    return user


def set_password(conn: psycopg.Connection[Any], email: str, password: str) -> User:
    """Set (or replace) a user's password and end their login sessions everywhere."""
    user = get_user_by_email(conn, email)
    check_policy(password)
    UserRepository(conn).set_password_hash(user.user_id, hash_password(password), now_iso())
    LoginSessionRepository(conn).delete_for_user(user.user_id)
    log.info("password set for user %s", user.user_id)
    return user


def set_role(conn: psycopg.Connection[Any], email: str, role: str) -> User:
    """Change the role; the permission flags are replaced per the legacy table."""
    user = get_user_by_email(conn, email)
    _checked_role(role)
    updated = UserRepository(conn).set_role(
        user.user_id, role, dict(ROLE_PERMISSION_FLAGS[role]), now_iso()
    )
    assert updated is not None
    return updated


def set_active(conn: psycopg.Connection[Any], email: str, active: bool) -> User:
    """Activate or deactivate; a deactivated user's sessions and tokens stop working at once."""
    user = get_user_by_email(conn, email)
    updated = UserRepository(conn).set_active(user.user_id, active, now_iso())
    assert updated is not None
    if not active:
        LoginSessionRepository(conn).delete_for_user(user.user_id)
    return updated


def list_users(conn: psycopg.Connection[Any]) -> list[User]:
    """Every user, by email."""
    return UserRepository(conn).list_all()


def actor_for(user: User) -> Actor:
    """The Actor a user acts as: role and the stored permission flags; display = email."""
    try:
        role: Role | None = Role(user.role)
    except ValueError:
        role = None
    flags = user.permissions
    permissions = frozenset(Permission(key) for key in PERMISSION_KEYS if flags.get(key))
    return Actor(user_id=user.user_id, display=user.email, role=role, permissions=permissions)


def public_user(user: User) -> dict[str, Any]:
    """The user in the legacy JSON shape (no secrets are ever in `data`)."""
    out = render_row(user.legacy_id, user.data, user.created_at, user.updated_at)
    out.update(userId=user.user_id, email=user.email, role=user.role, isActive=user.is_active)
    out["permissions"] = user.permissions
    out["hasPassword"] = user.has_password
    return out


def ensure_demo_admin(conn: psycopg.Connection[Any]) -> tuple[str, str | None]:
    """Make sure the demo has an admin who can log in: (email, new password or None).

    A new admin gets a random password, returned once for `pmo demo` to print. When the admin
    already exists nothing changes and the password is None (it is not known any more); when it
    exists without a password (e.g. migrated) a new one is set and returned."""
    repo = UserRepository(conn)
    existing = repo.get_by_email(DEMO_ADMIN_EMAIL)
    password = secrets.token_urlsafe(12)
    if existing is None:
        create_user(conn, DEMO_ADMIN_EMAIL, "Demo Admin", "admin", password)
        return DEMO_ADMIN_EMAIL, password
    if not existing.has_password:
        set_password(conn, DEMO_ADMIN_EMAIL, password)
        return DEMO_ADMIN_EMAIL, password
    return DEMO_ADMIN_EMAIL, None
