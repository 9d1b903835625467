"""The shape of a legacy document: field order and BSON types, as a tree of `Node`s.

JSON has no date and no ObjectId, and JSONB forgets key order. The legacy mongoose models
(docs/data-model.md) say which fields are Dates and ObjectIds and in which order mongoose
writes the fields of a document, so the migration codec can store those natural values as
plain strings in `data` and still decode them back to the exact BSON; the application uses
the same structure to know which fields of `data` are dates.

`Node.kind` is one of:
- ``"date"``: a BSON date, stored in `data` as ``"2025-07-18T10:04:47.000Z"``;
- ``"objectId"``: a BSON ObjectId, stored as its 24-hex string;
- ``"object"``: a sub-document whose fields are listed in `order` (schema order) and whose
  typed or ordered fields are in `children`;
- ``"array"``: a list whose elements have the shape `items`;
- ``"any"``: anything else (strings, numbers, booleans, mixed content).

The field order is the order the legacy app really wrote (checked on the fixture dump):
`_id`, the schema fields, `createdAt`, `updatedAt`, `__v`, then the fields the app only ever
`$set` later (e.g. `users.lastLogin`). Absent fields are skipped; fields the shape does not
know come after the known ones, in JSONB key order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Kind = Literal["date", "objectId", "object", "array", "any"]
TypeName = Literal["objectId", "date"]


@dataclass(frozen=True)
class Node:
    """The legacy shape of one value (see the module docstring for the kinds)."""

    kind: Kind = "any"
    order: tuple[str, ...] = ()
    children: Mapping[str, Node] = field(default_factory=lambda: MappingProxyType({}))
    items: Node | None = None
    order_set: frozenset[str] = frozenset()
    order_index: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def child(self, key: str) -> Node | None:
        """The shape of field `key` of this object, when the schema types or orders it."""
        return self.children.get(key)


ANY = Node()
DATE = Node("date")
OBJECT_ID = Node("objectId")
_ID = ("_id", OBJECT_ID)
TIMESTAMPS = ("createdAt", DATE), ("updatedAt", DATE), "__v"  # what mongoose appends


def obj(*fields: str | tuple[str, Node]) -> Node:
    """An object node: fields in schema order, each a bare name or a (name, shape) pair."""
    order: list[str] = []
    children: dict[str, Node] = {}
    for spec in fields:
        if isinstance(spec, str):
            order.append(spec)
        else:
            order.append(spec[0])
            if spec[1] is not ANY:
                children[spec[0]] = spec[1]
    return Node(
        "object",
        tuple(order),
        MappingProxyType(children),
        order_set=frozenset(order),
        order_index=MappingProxyType({name: i for i, name in enumerate(order)}),
    )


def document(*fields: str | tuple[str, Node]) -> Node:
    """A top-level document: an ObjectId `_id` first, then `fields` in schema order."""
    return obj(_ID, *fields)


def arr(items: Node) -> Node:
    """An array node whose elements have the shape `items`."""
    return Node("array", items=items)


def typed_paths(node: Node, prefix: str = "") -> list[tuple[str, TypeName]]:
    """Every (dotted path, kind) of a date or ObjectId leaf; `[]` marks array elements
    (`messages[].timestamp`)."""
    if node.kind == "date" or node.kind == "objectId":
        return [(prefix, node.kind)]
    if node.kind == "array" and node.items is not None:
        return typed_paths(node.items, prefix + "[]")
    found: list[tuple[str, TypeName]] = []
    for name in node.order:
        sub = node.children.get(name)
        if sub is not None:
            found.extend(typed_paths(sub, f"{prefix}.{name}" if prefix else name))
    return found
