"""The BSON types of the legacy mongoose models (legacy-system.md §1) as the seed-JSON reader
needs them: which paths hold ObjectIds and which hold Dates, derived from `legacy_shape`.

Why it exists: the seed guide's export script passed driver documents through
`JSON.stringify`, which flattened ObjectIds to 24-hex strings and Dates to ISO strings. To get
the original documents back, `seed_json` turns the strings at these paths back into their types.

Path syntax: dotted field names; `[]` after a name means "every element of this array"
(`messages[].timestamp`). Keys are the legacy collection names; `SEED_ALIASES` maps the
wrong names the seed guide used to them.

`DECLARED_FIELDS` lists each model's top-level fields. Fields not declared there (and the
`Mixed` fields in `MIXED_FIELDS`) have no known type, so `seed_json` applies its general rule
inside them (strings of exactly the `JSON.stringify` date form become dates, 24-hex `_id`
values become ObjectIds). Declared String fields are never reinterpreted.
"""

from __future__ import annotations

from typing import Final, Literal

from pmo_playbook.migration.legacy_shape import LegacyShape, shape_for

TypeName = Literal["objectId", "date"]

# The nine legacy collections, by their real (MongoDB) names.
LEGACY_COLLECTIONS: Final = (
    "human_sops", "agent_sops", "chat_histories", "change_proposals", "userfeedback",
    "message_feedback", "projects", "sop_version_history", "users",
)  # fmt: skip


def _shape(name: str) -> LegacyShape:
    shape = shape_for(name)
    if shape is None:  # pragma: no cover - legacy_shape covers every legacy collection
        raise LookupError(f"no legacy shape for {name}")
    return shape


def _typed_paths(shape: LegacyShape) -> dict[str, TypeName]:
    paths: dict[str, TypeName] = {"_id": "objectId"}
    paths.update(dict.fromkeys(shape.object_id_paths, "objectId"))
    paths.update(dict.fromkeys(shape.date_paths, "date"))
    return paths


# Derived from `legacy_shape` (the codec's description of the mongoose models), so the two
# never disagree about which paths are Dates and ObjectIds.
LEGACY_TYPED_PATHS: Final[dict[str, dict[str, TypeName]]] = {
    name: _typed_paths(_shape(name)) for name in LEGACY_COLLECTIONS
}

# Each model's top-level fields, in schema order.
DECLARED_FIELDS: Final[dict[str, frozenset[str]]] = {
    name: frozenset(_shape(name).root.order) for name in LEGACY_COLLECTIONS
}

# Fields typed `Mixed` (any shape): the general rule applies inside them.
MIXED_FIELDS: Final[dict[str, frozenset[str]]] = {"sop_version_history": frozenset({"content"})}

# Collection names the seed guide's scripts used, mapped to the legacy names.
SEED_ALIASES: Final[dict[str, str]] = {
    "user_feedback": "userfeedback",
    "sop_version_histories": "sop_version_history",
}


def legacy_name(collection: str) -> str:
    """The legacy collection name for `collection` (seed aliases resolved)."""
    return SEED_ALIASES.get(collection, collection)


def split_path(path: str) -> list[str]:
    """`"messages[].timestamp"` → `["messages", "[]", "timestamp"]`."""
    parts: list[str] = []
    for name in path.split("."):
        if name.endswith("[]"):
            parts += [name[:-2], "[]"]
        else:
            parts.append(name)
    return parts
