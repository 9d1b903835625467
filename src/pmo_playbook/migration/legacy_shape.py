"""The shapes of the nine legacy MongoDB collections: typed paths and field order.

JSON has no date and no ObjectId, and JSONB forgets key order. The legacy mongoose models
(legacy-system.md §1) say which fields are Dates and ObjectIds and in which order mongoose
writes the fields of a document, so the codec (`migration.codec`) can store those natural
values as plain strings in `data` and still decode them back to the exact BSON; the
application uses the same structure to know which fields of `data` are dates.

A shape is a tree of `Node`s. `Node.kind` is one of:
- ``"date"``: a BSON date, stored in `data` as ``"2025-07-18T10:04:47.000Z"``;
- ``"objectId"``: a BSON ObjectId, stored as its 24-hex string;
- ``"object"``: a sub-document whose fields are listed in `order` (schema order) and whose
  typed or ordered fields are in `children`;
- ``"array"``: a list whose elements have the shape `items`;
- ``"any"``: anything else (strings, numbers, booleans, mixed content).

The field order is the order the legacy app really wrote (checked on the fixture dump,
`../shared/fixtures/legacy-mongo`): `_id`, the schema fields, `createdAt`, `updatedAt`, `__v`,
then the fields the app only ever `$set` later (e.g. `users.lastLogin`, `chat_histories`
`sessionName`, `userId`, `endedAt`). Fields that are absent are simply skipped; fields the
shape does not know come after the known ones, in JSONB key order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Kind = Literal["date", "objectId", "object", "array", "any"]


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


def arr(items: Node) -> Node:
    """An array node whose elements have the shape `items`."""
    return Node("array", items=items)


@dataclass(frozen=True)
class LegacyShape:
    """One legacy collection: its name, its aliases and the shape of its documents."""

    collection: str
    aliases: tuple[str, ...]
    root: Node

    @property
    def date_paths(self) -> tuple[str, ...]:
        """Dotted paths of the Date fields, `[]` marking array elements (`messages[].timestamp`)."""
        return tuple(p for p, kind in _typed_paths(self.root, "") if kind == "date")

    @property
    def object_id_paths(self) -> tuple[str, ...]:
        """Dotted paths of the ObjectId fields (root `_id` included)."""
        return tuple(p for p, kind in _typed_paths(self.root, "") if kind == "objectId")


def _typed_paths(node: Node, prefix: str) -> list[tuple[str, Kind]]:
    """Every (path, kind) of a date or ObjectId leaf under `node`."""
    if node.kind in ("date", "objectId"):
        return [(prefix, node.kind)]
    if node.kind == "array" and node.items is not None:
        return _typed_paths(node.items, prefix + "[]")
    found: list[tuple[str, Kind]] = []
    for name in node.order:
        sub = node.children.get(name)
        if sub is not None:
            found.extend(_typed_paths(sub, f"{prefix}.{name}" if prefix else name))
    return found


_TS = ("createdAt", DATE), ("updatedAt", DATE), "__v"
_ID = ("_id", OBJECT_ID)
_AGENT_SECTIONS = obj(
    "objectives",
    "keyActivities",
    "deliverables",
    ("rolesResponsibilities", arr(obj("role", "responsibilities"))),
    "toolsTemplates",
    "bestPractices",
    "commonPitfalls",
)

_SHAPES: tuple[LegacyShape, ...] = (
    LegacyShape(
        "projects",
        (),
        obj(
            _ID,
            *("projectId", "projectName", "sponsor", "projectTeam", "keyStakeholders"),
            *("projectObjectives", "businessCaseSummary", "resourceRequirements"),
            "scopeDeliverables",
            ("keyDatesMilestones", arr(obj(_ID, ("date", DATE), "description"))),
            *("threats", "opportunities", "keyAssumptions", "successCriteria"),
            *("isActive", "createdBy", "lastModifiedBy"),
            *_TS,
        ),
    ),
    LegacyShape(
        "human_sops",
        (),
        obj(
            _ID,
            *("sopId", "title", "phase", "markdownContent", "version", "isActive"),
            *("createdBy", "lastModifiedBy"),
            *_TS,
        ),
    ),
    LegacyShape(
        "agent_sops",
        (),
        obj(
            _ID,
            "sopId",
            ("humanSopId", OBJECT_ID),
            *("title", "phase", "summary", "description"),
            ("sections", _AGENT_SECTIONS),
            *("keywords", "relatedSopIds", "version", "isActive"),
            ("lastSyncedAt", DATE),
            *_TS,
            "searchableContent",
        ),
    ),
    LegacyShape(
        "chat_histories",
        (),
        obj(
            _ID,
            "sessionId",
            (
                "messages",
                arr(obj("role", "content", ("timestamp", DATE), "selectedSopId", "confidence")),
            ),
            ("sopUsage", arr(obj("sopId", "usageCount", ("lastUsed", DATE)))),
            (
                "metadata",
                obj("userAgent", "ipAddress", "duration", "feedbackScore", "feedbackComment"),
            ),
            *("tags", "status"),
            ("startedAt", DATE),
            ("lastActive", DATE),
            *_TS,
            *("sessionName", "summary", "userId"),
            ("endedAt", DATE),
        ),
    ),
    LegacyShape(
        "userfeedback",
        ("user_feedback",),
        obj(
            _ID,
            *("feedbackId", "sessionId", "messageId", "userQuestion", "aiResponse"),
            *("userComment", "sopId", "sopTitle", "sopSection", "confidence"),
            *("status", "priority"),
            *_TS,
            ("aiSuggestion", obj("content", "rationale")),
            "adminNotes",
        ),
    ),
    LegacyShape(
        "message_feedback",
        (),
        obj(
            _ID,
            *("messageId", "sessionId", "rating", "sopUsed", "confidence"),
            *_TS,
            "feedbackReason",
        ),
    ),
    LegacyShape(
        "change_proposals",
        (),
        obj(
            _ID,
            *("proposalId", "sopId"),
            ("humanSopId", OBJECT_ID),
            "triggerQuery",
            (
                "conversationContext",
                obj("sessionId", ("messages", arr(obj("role", "content"))), ("timestamp", DATE)),
            ),
            (
                "proposedChange",
                obj("section", "originalContent", "suggestedContent", "changeType", "rationale"),
            ),
            *("status", "priority"),
            ("reviewHistory", arr(obj("action", "performedBy", ("timestamp", DATE), "comments"))),
            ("metrics", obj("similarProposalsCount", "affectedUsersCount", "confidenceScore")),
            "tags",
            *_TS,
            (
                "implementationDetails",
                obj("newVersion", ("implementedAt", DATE), "implementedBy", "rollbackVersion"),
            ),
        ),
    ),
    LegacyShape(
        "sop_version_history",
        ("sop_version_histories",),
        obj(
            _ID,
            *("sopId", "sopType", "version"),
            # Mixed: markdown text for human SOPs, this snapshot object for agent SOPs.
            ("content", obj("title", ("sections", _AGENT_SECTIONS), "keywords")),
            *("changedBy", "changeType", "changeReason"),
            ("metadata", obj("previousVersion", "regenerationErrors", "regenerationWarnings")),
            ("createdAt", DATE),
            "__v",
        ),
    ),
    LegacyShape(
        "users",
        (),
        obj(
            _ID,
            *("userId", "email", "name", "role", "department"),
            (
                "permissions",
                obj("canCreateProposals", "canApproveProposals", "canEditSOPs", "canViewAnalytics"),
            ),
            ("preferences", obj("defaultView", "emailNotifications", "theme")),
            "isActive",
            *_TS,
            ("lastLogin", DATE),
        ),
    ),
)

SHAPES: Mapping[str, LegacyShape] = MappingProxyType(
    {name: s for s in _SHAPES for name in (s.collection, *s.aliases)}
)


def shape_for(name: str) -> LegacyShape | None:
    """The shape of a legacy collection by its real name or an alias; None when unknown."""
    return SHAPES.get(name)
