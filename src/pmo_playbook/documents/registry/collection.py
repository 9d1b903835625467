"""`Collection`: everything the project knows about one legacy MongoDB collection.

One instance per collection (one module each in this package) holds its legacy name and
aliases, its cut-over module, the shape of its documents (field order and BSON types), its
table (typed columns with their derivation rules and vocabularies, natural keys, references)
and the indexes the legacy application declared. The documents, the migration (plan, load,
verify, reverse export, sources) and the live sync read these; adding a field or a
collection is a change here only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pmo_playbook.documents.registry.columns import Column, Reference, TableSpec
from pmo_playbook.documents.registry.shape import Node, TypeName, typed_paths

# The groups of collections that switch from MongoDB to PostgreSQL together (the seed's
# USE_POSTGRES_<MODULE> toggles).
Module = Literal["projects", "sops", "chat", "feedback", "proposals", "users"]
MODULES: tuple[Module, ...] = ("projects", "sops", "chat", "feedback", "proposals", "users")


def index(key: dict[str, Any], name: str, unique: bool = False) -> dict[str, Any]:
    """A legacy index as mongodump writes it in `<collection>.metadata.json`."""
    spec: dict[str, Any] = {"v": 2, "key": key, "name": name}
    if unique:
        spec["unique"] = True
    return spec


ID_INDEX = index({"_id": 1}, "_id_")
TEXT_KEY = {"_fts": "text", "_ftsx": 1}  # how mongodump writes the key of a text index


@dataclass(frozen=True)
class Collection:
    """One legacy collection and its table (see the module docstring)."""

    name: str  # the real MongoDB name (the reverse export writes this one)
    module: Module
    shape: Node  # the document: field order and typed paths
    table: str
    columns: tuple[Column, ...]  # typed columns beside `data`, in COPY order
    natural_keys: tuple[tuple[str, ...], ...]  # unique keys (column names)
    aliases: tuple[str, ...] = ()  # the names the seed guide's scripts used instead
    lower_keys: frozenset[str] = frozenset()  # natural-key columns compared case-insensitively
    reference: Reference | None = None
    # Top-level fields typed `Mixed` (any shape): readers apply their general rules inside.
    mixed_fields: frozenset[str] = frozenset()
    legacy_indexes: tuple[dict[str, Any], ...] = (ID_INDEX,)
    spec: TableSpec = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        spec = TableSpec.of(
            self.table, self.name, self.columns, aliases=self.aliases,
            unique_keys=self.natural_keys, lower_keys=self.lower_keys, reference=self.reference,
        )  # fmt: skip
        object.__setattr__(self, "spec", spec)

    @property
    def names(self) -> tuple[str, ...]:
        """The legacy name first, then the aliases."""
        return (self.name, *self.aliases)

    @property
    def typed_paths(self) -> dict[str, TypeName]:
        """Dotted path → "date" | "objectId" of every typed field (root `_id` included)."""
        return dict(typed_paths(self.shape))

    @property
    def declared_fields(self) -> frozenset[str]:
        """The model's top-level fields."""
        return self.shape.order_set

    @property
    def vocabularies(self) -> dict[str, tuple[str, ...]]:
        """Column → the values it may take (what the schema's CHECK constraints allow)."""
        return {c.name: c.vocabulary for c in self.columns if c.vocabulary is not None}
