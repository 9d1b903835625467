"""`chat_histories`: chat sessions and their messages (module chat)."""

from __future__ import annotations

from pmo_playbook.documents.registry.collection import ID_INDEX, Collection, index
from pmo_playbook.documents.registry.columns import (
    key,
    moment,
    moment_or_fallback,
    text,
    timestamps,
    vocabulary,
)
from pmo_playbook.documents.registry.shape import DATE, TIMESTAMPS, arr, document, obj

STATUSES = ("active", "completed", "abandoned")

COLLECTION = Collection(
    name="chat_histories",
    module="chat",
    shape=document(
        "sessionId",
        ("messages",
         arr(obj("role", "content", ("timestamp", DATE), "selectedSopId", "confidence"))),
        ("sopUsage", arr(obj("sopId", "usageCount", ("lastUsed", DATE)))),
        ("metadata", obj("userAgent", "ipAddress", "duration", "feedbackScore", "feedbackComment")),
        *("tags", "status"),
        ("startedAt", DATE),
        ("lastActive", DATE),
        *TIMESTAMPS,
        *("sessionName", "summary", "userId"),
        ("endedAt", DATE),
    ),
    table="chat_histories",
    columns=(
        key("session_id", "sessionId"),
        text("user_id", "userId"),
        vocabulary("status", "status", STATUSES, "active"),
        moment_or_fallback("started_at", "startedAt"),
        moment("ended_at", "endedAt"),
        moment_or_fallback("last_active", "lastActive"),
        *timestamps(),
    ),
    natural_keys=(("session_id",),),
    legacy_indexes=(
        ID_INDEX, index({"sessionId": 1}, "sessionId_1", True), index({"userId": 1}, "userId_1"),
        index({"status": 1, "startedAt": -1}, "status_1_startedAt_-1"),
    ),
)  # fmt: skip
