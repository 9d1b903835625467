"""Who is acting: passed explicitly to every service call that reads private data or writes.

Authentication (resolving a request to an Actor) lives at the web edge; services only look at
the Actor to authorise and to fill audit fields (`createdBy`, `lastModifiedBy`, `performedBy`,
`changedBy`) — never from the request body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """The legacy roles."""

    ADMIN = "admin"
    USER = "user"
    VIEWER = "viewer"


class Permission(StrEnum):
    """The legacy permission flags (users.permissions)."""

    CREATE_PROPOSALS = "canCreateProposals"
    APPROVE_PROPOSALS = "canApproveProposals"
    EDIT_SOPS = "canEditSOPs"
    VIEW_ANALYTICS = "canViewAnalytics"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.VIEWER: frozenset({Permission.VIEW_ANALYTICS}),
    Role.USER: frozenset({Permission.CREATE_PROPOSALS}),
}


@dataclass(frozen=True)
class Actor:
    """The caller of a service: a user, an anonymous visitor, or the system itself."""

    user_id: str | None  # users.user_id; None for anonymous visitors and the system
    display: str  # what audit fields record (email, "anonymous", "system")
    role: Role | None = None
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    visitor_id: str | None = None  # signed-cookie id of an anonymous visitor
    is_system: bool = False

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None and not self.is_system

    @property
    def owner_key(self) -> str | None:
        """The value stored in chat_histories.user_id for sessions this actor owns."""
        if self.user_id:
            return self.user_id
        if self.visitor_id:
            return f"anon:{self.visitor_id}"
        return None

    def can(self, permission: Permission) -> bool:
        return self.is_system or self.role == Role.ADMIN or permission in self.permissions


SYSTEM = Actor(user_id=None, display="system", role=Role.ADMIN, is_system=True)
"""The actor for CLI maintenance and migrations (all permissions)."""
