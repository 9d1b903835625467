"""The cut-over's modules: which tables (legacy collections) and which routes each one owns.

One definition for the ownership check of the application, the sync, the outbox triggers and
the reverse-proxy route map of docs/migration-runbook.md (a test checks the runbook's map).
"""

from __future__ import annotations

from typing import Literal

Module = Literal["projects", "sops", "chat", "feedback", "proposals", "users"]
Owner = Literal["mongodb", "postgresql"]

MODULES: tuple[Module, ...] = ("projects", "sops", "chat", "feedback", "proposals", "users")

# Table -> module (the seed's Phase 4 toggles: SOPs = human + agent SOPs + version history,
# feedback = gap reports + ratings).
MODULE_OF_TABLE: dict[str, Module] = {
    "projects": "projects",
    "human_sops": "sops",
    "agent_sops": "sops",
    "sop_version_histories": "sops",
    "chat_histories": "chat",
    "user_feedback": "feedback",
    "message_feedback": "feedback",
    "change_proposals": "proposals",
    "users": "users",
}

# Path prefixes -> the modules a write under them changes. Longest prefix wins. Approving a
# proposal rewrites the SOP it targets, so proposal writes need both modules. Login/logout write
# only the application's own session tables and are never refused.
ROUTE_MODULES: dict[str, tuple[Module, ...]] = {
    "/api/projects": ("projects",),
    "/admin/projects": ("projects",),
    "/api/sops": ("sops",),
    "/api/content-db": ("sops",),
    "/admin/sops": ("sops",),
    "/api/proposals": ("proposals", "sops"),
    "/admin/proposals": ("proposals", "sops"),
    "/api/chat-history": ("chat",),
    "/api/sessions": ("chat",),
    "/chat/ask": ("chat",),
    "/chat/new": ("chat",),
    "/chat/sessions": ("chat",),
    "/api/user-feedback": ("feedback",),
    "/api/message-feedback": ("feedback",),
    "/admin/user-feedback": ("feedback",),
    "/chat/gap": ("feedback",),
    "/chat/rate": ("feedback",),
    "/api/users": ("users",),
    "/admin/users": ("users",),
}


def modules_for_path(path: str) -> tuple[Module, ...]:
    """The modules a write to `path` touches (empty: none of the cut-over's)."""
    best = ""
    for prefix in ROUTE_MODULES:
        if (path == prefix or path.startswith(prefix + "/")) and len(prefix) > len(best):
            best = prefix
    return ROUTE_MODULES[best] if best else ()


def tables_of(module: str) -> list[str]:
    """The tables of one module, in the loader's order."""
    return [t for t, m in MODULE_OF_TABLE.items() if m == module]


def parse_module(text: str) -> Module:
    """A module name from the command line (InvalidInput naming the choices otherwise)."""
    from pmo_playbook.errors import InvalidInput

    for module in MODULES:
        if module == text.strip().lower():
            return module
    raise InvalidInput(f"unknown module {text!r} (one of {', '.join(MODULES)}, or all)")
