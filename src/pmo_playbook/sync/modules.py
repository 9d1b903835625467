"""The cut-over's modules: which tables (legacy collections) and which routes each one owns.

One definition for the ownership check of the application, the sync, the outbox triggers and
the reverse-proxy route map of docs/migration-runbook.md (a test checks the runbook's map).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from pmo_playbook.documents.registry import COLLECTIONS, MODULES, Collection, Module
from pmo_playbook.documents.registry.columns import TableSpec

Owner = Literal["mongodb", "postgresql"]
OWNERS: tuple[Owner, ...] = ("mongodb", "postgresql")

# Table -> module, read from the collection registry (the module each collection belongs to).
MODULE_OF_TABLE: Mapping[str, Module] = MappingProxyType({c.table: c.module for c in COLLECTIONS})
COLLECTION_OF_TABLE: Mapping[str, Collection] = MappingProxyType({c.table: c for c in COLLECTIONS})


def spec_of_table(table: str) -> TableSpec:
    """The registry's table spec of one of the nine legacy tables."""
    return COLLECTION_OF_TABLE[table].spec


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
    "/chat": ("chat",),
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
    """The tables of one module, in the registry's load order."""
    return [c.table for c in COLLECTIONS if c.module == module]


def parse_module(text: str) -> Module:
    """A module name from the command line (InvalidInput naming the choices otherwise)."""
    from pmo_playbook.errors import InvalidInput

    for module in MODULES:
        if module == text.strip().lower():
            return module
    raise InvalidInput(f"unknown module {text!r} (one of {', '.join(MODULES)}, or all)")
