"""Which table a source collection loads into: the registry's specs, and `legacy_documents`.

The tables, their columns and derivation rules are declared per collection in
`documents.registry`; this module only resolves a source's collection names (legacy names and
aliases) to those specs, orders them for loading, and gives every collection that maps to no
table the generic `legacy_documents` target, so nothing is skipped.
"""

from __future__ import annotations

from typing import Any

from pmo_playbook.documents.registry import COLLECTIONS, collection
from pmo_playbook.documents.registry.columns import Column, TableSpec, timestamps
from pmo_playbook.migration.sources.base import Source, SourceCollection

SPECS: tuple[TableSpec, ...] = tuple(c.spec for c in COLLECTIONS)
LOAD_ORDER = tuple(spec.table for spec in SPECS)  # human_sops before agent_sops (FK)
# Tables other rows point at (their ids resolve references: human_sops for agent_sops).
REFERENCED_TABLES = frozenset(s.reference.target_table for s in SPECS if s.reference is not None)
_CREATED, _UPDATED = timestamps()


def unmapped_spec(name: str) -> TableSpec:
    """The generic `legacy_documents` target for a collection that maps to no table."""

    def extract(d: dict[str, Any], lid: str) -> tuple[Any, ...]:
        return (name, _CREATED.rule(d, lid), _UPDATED.rule(d, lid))

    return TableSpec(
        table="legacy_documents",
        legacy_name=name,
        aliases=(),
        columns=(Column("collection", "text"), _CREATED, _UPDATED),
        unique_keys=(),
        extract=extract,
        conflict_target=("collection", "legacy_id"),
        scope_column="collection",
    )


def spec_for(name: str) -> TableSpec | None:
    """The table spec of a source collection name or alias; None when it maps to nothing."""
    found = collection(name)
    return found.spec if found is not None else None


def target_for(collection: str, include_unmapped: bool) -> TableSpec | None:
    """The table a source collection loads into (None: unmapped and not kept)."""
    spec = spec_for(collection)
    if spec is None and include_unmapped:
        return unmapped_spec(collection)
    return spec


def sorted_collections(source: Source) -> list[SourceCollection]:
    """The source's collections in load order."""
    return sorted(source.collections(), key=lambda c: collection_sort_key(c.name))


def collection_sort_key(name: str) -> tuple[int, str]:
    """Load order: mapped collections in table order (human_sops before agent_sops), then others."""
    spec = spec_for(name)
    return (LOAD_ORDER.index(spec.table) if spec else len(LOAD_ORDER), name)
