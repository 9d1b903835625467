"""The collection registry: one module per legacy collection, and lookups over them.

Everything known about a legacy collection (see `collection.Collection`) is declared once, in
its module here; the documents, the migration and the live sync read it from `COLLECTIONS`.
`COLLECTIONS` is in load order: a referenced table (human_sops) before the tables pointing at
it (agent_sops).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from pmo_playbook.documents.registry import (
    agent_sops,
    change_proposals,
    chat_histories,
    human_sops,
    message_feedback,
    projects,
    sop_version_history,
    userfeedback,
    users,
)
from pmo_playbook.documents.registry.collection import MODULES, Collection, Module
from pmo_playbook.documents.registry.shape import Node

COLLECTIONS: tuple[Collection, ...] = (
    projects.COLLECTION,
    human_sops.COLLECTION,
    agent_sops.COLLECTION,
    chat_histories.COLLECTION,
    userfeedback.COLLECTION,
    message_feedback.COLLECTION,
    change_proposals.COLLECTION,
    sop_version_history.COLLECTION,
    users.COLLECTION,
)

_BY_NAME: Mapping[str, Collection] = MappingProxyType(
    {name: c for c in COLLECTIONS for name in c.names}
)


def collection(name: str) -> Collection | None:
    """The collection a source name denotes (its legacy name or an alias); None when unknown."""
    return _BY_NAME.get(name)


def shape_of(name: str) -> Node | None:
    """The document shape of a source collection name or alias; None when unknown."""
    found = _BY_NAME.get(name)
    return found.shape if found is not None else None


def module_collections(module: Module) -> tuple[Collection, ...]:
    """The collections that switch over together as `module`, in load order."""
    return tuple(c for c in COLLECTIONS if c.module == module)


__all__ = [
    "COLLECTIONS",
    "MODULES",
    "Collection",
    "Module",
    "collection",
    "module_collections",
    "shape_of",
]
