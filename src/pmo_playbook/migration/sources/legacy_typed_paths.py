"""The BSON types of the legacy mongoose models (legacy-system.md §1): which paths hold ObjectIds
and which hold Dates. The one table of these facts; import it rather than copying it.

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

TypeName = Literal["objectId", "date"]

_TIMESTAMPS: Final[dict[str, TypeName]] = {
    "_id": "objectId",
    "createdAt": "date",
    "updatedAt": "date",
}

LEGACY_TYPED_PATHS: Final[dict[str, dict[str, TypeName]]] = {
    "human_sops": {**_TIMESTAMPS},
    "agent_sops": {**_TIMESTAMPS, "humanSopId": "objectId", "lastSyncedAt": "date"},
    "chat_histories": {
        **_TIMESTAMPS,
        "messages[].timestamp": "date",
        "sopUsage[].lastUsed": "date",
        "startedAt": "date",
        "endedAt": "date",
        "lastActive": "date",
    },
    "change_proposals": {
        **_TIMESTAMPS,
        "humanSopId": "objectId",
        "conversationContext.timestamp": "date",
        "reviewHistory[].timestamp": "date",
        "implementationDetails.implementedAt": "date",
    },
    "userfeedback": {**_TIMESTAMPS},
    "message_feedback": {**_TIMESTAMPS},
    "projects": {
        **_TIMESTAMPS,
        "keyDatesMilestones[]._id": "objectId",
        "keyDatesMilestones[].date": "date",
    },
    "sop_version_history": {"_id": "objectId", "createdAt": "date"},
    "users": {**_TIMESTAMPS, "lastLogin": "date"},
}

_COMMON = ("_id", "__v", "createdAt", "updatedAt")
DECLARED_FIELDS: Final[dict[str, frozenset[str]]] = {
    name: frozenset(_COMMON + fields)
    for name, fields in {
        "human_sops": (
            "sopId", "title", "phase", "markdownContent", "version", "isActive", "createdBy",
            "lastModifiedBy",
        ),
        "agent_sops": (
            "sopId", "humanSopId", "title", "phase", "summary", "description", "sections",
            "searchableContent", "keywords", "relatedSopIds", "version", "isActive",
            "lastSyncedAt",
        ),
        "chat_histories": (
            "sessionId", "sessionName", "summary", "userId", "messages", "sopUsage", "metadata",
            "tags", "status", "startedAt", "endedAt", "lastActive",
        ),
        "change_proposals": (
            "proposalId", "sopId", "humanSopId", "triggerQuery", "conversationContext",
            "proposedChange", "status", "priority", "reviewHistory", "implementationDetails",
            "metrics", "tags",
        ),
        "userfeedback": (
            "feedbackId", "sessionId", "messageId", "userQuestion", "aiResponse", "userComment",
            "sopId", "sopTitle", "sopSection", "confidence", "aiSuggestion", "status",
            "priority", "adminNotes",
        ),
        "message_feedback": (
            "messageId", "sessionId", "rating", "sopUsed", "confidence", "feedbackReason",
        ),
        "projects": (
            "projectId", "projectName", "sponsor", "businessCaseSummary",
            "resourceRequirements", "projectTeam", "keyStakeholders", "projectObjectives",
            "scopeDeliverables", "threats", "opportunities", "keyAssumptions",
            "successCriteria", "keyDatesMilestones", "isActive", "createdBy", "lastModifiedBy",
        ),
        "sop_version_history": (
            "sopId", "sopType", "version", "content", "changedBy", "changeType", "changeReason",
            "metadata",
        ),
        "users": (
            "userId", "email", "name", "role", "department", "permissions", "preferences",
            "lastLogin", "isActive",
        ),
    }.items()
}  # fmt: skip

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
