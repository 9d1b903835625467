"""`users`: accounts, roles and preferences (module users)."""

from __future__ import annotations

from pmo_playbook.documents.registry.collection import ID_INDEX, Collection, index
from pmo_playbook.documents.registry.columns import flag, key, moment, timestamps, vocabulary
from pmo_playbook.documents.registry.shape import DATE, TIMESTAMPS, document, obj

ROLES = ("user", "admin", "viewer")
PERMISSION_KEYS = ("canCreateProposals", "canApproveProposals", "canEditSOPs", "canViewAnalytics")

COLLECTION = Collection(
    name="users",
    module="users",
    shape=document(
        *("userId", "email", "name", "role", "department"),
        ("permissions", obj(*PERMISSION_KEYS)),
        ("preferences", obj("defaultView", "emailNotifications", "theme")),
        "isActive",
        *TIMESTAMPS,
        ("lastLogin", DATE),
    ),
    table="users",
    columns=(
        key("user_id", "userId"),
        key("email", "email"),
        vocabulary("role", "role", ROLES, "user"),
        flag("is_active", "isActive", True),
        moment("last_login", "lastLogin"),
        *timestamps(),
    ),
    natural_keys=(("user_id",), ("email",)),
    lower_keys=frozenset({"email"}),
    legacy_indexes=(
        ID_INDEX, index({"userId": 1}, "userId_1", True), index({"email": 1}, "email_1", True),
        index({"role": 1}, "role_1"),
    ),
)  # fmt: skip
