"""Users (legacy collection `users`) and the authentication records.

The user document keeps the legacy keys (userId, email, name, role, department, permissions,
preferences, lastLogin, isActive) in natural JSON. Secrets never enter it: the password hash
is a separate column and tokens/sessions live in their own tables (migration 0005), because
`data` is what the reverse export writes back to MongoDB.
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from pmo_playbook.documents.registry import users as users_collection

EMAIL_PATTERN = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")
ROLES = users_collection.ROLES
PERMISSION_KEYS = users_collection.PERMISSION_KEYS
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"

# The legacy pre-save hook: changing `role` replaces the whole permissions object (§1.9).
ROLE_PERMISSION_FLAGS: dict[str, dict[str, bool]] = {
    "admin": {
        "canCreateProposals": True,
        "canApproveProposals": True,
        "canEditSOPs": True,
        "canViewAnalytics": True,
    },
    "viewer": {
        "canCreateProposals": False,
        "canApproveProposals": False,
        "canEditSOPs": False,
        "canViewAnalytics": True,
    },
    "user": {
        "canCreateProposals": True,
        "canApproveProposals": False,
        "canEditSOPs": False,
        "canViewAnalytics": False,
    },
}


def normalize_email(email: str) -> str:
    """The legacy rule: trimmed and lowercased."""
    return email.strip().lower()


def is_valid_email(email: str) -> bool:
    """The legacy regex `^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$` (applied after normalising)."""
    return bool(EMAIL_PATTERN.match(email))


def new_user_id() -> str:
    """The legacy default `USER-<epoch ms>-<9 base36>`."""
    suffix = "".join(secrets.choice(_BASE36) for _ in range(9))
    return f"USER-{int(time.time() * 1000)}-{suffix}"


class User(BaseModel):
    """One users row: typed columns, the natural-JSON document, and whether a password is set."""

    legacy_id: str | None
    user_id: str
    email: str
    role: str
    is_active: bool
    last_login: datetime | None
    has_password: bool
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @property
    def name(self) -> str:
        return str(self.data.get("name") or "")

    @property
    def permissions(self) -> dict[str, bool]:
        """The stored legacy permission flags (missing flags are False)."""
        raw = self.data.get("permissions")
        flags = raw if isinstance(raw, dict) else {}
        return {key: flags.get(key) is True for key in PERMISSION_KEYS}


class UserCredentials(BaseModel):
    """A user with the stored password hash (only the login path reads it)."""

    user: User
    password_hash: str | None


class ApiToken(BaseModel):
    """An API token record (never the token itself)."""

    id: int
    user_id: str
    email: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class LoginSession(BaseModel):
    """A server-side login session (the cookie holds the raw id, the table its sha256)."""

    id: int
    user_id: str
    created_at: datetime
    expires_at: datetime


class LoginLock(BaseModel):
    """Failed-login state of one account or client IP."""

    scope: str
    key: str
    failures: int
    locked_until: datetime | None
