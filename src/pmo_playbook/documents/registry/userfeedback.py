"""`userfeedback`: gap reports, feedback on an answer (module feedback).

The seed guide's scripts called it `user_feedback`, the table's name."""

from __future__ import annotations

from pmo_playbook.documents.registry.collection import ID_INDEX, Collection, index
from pmo_playbook.documents.registry.columns import key, text, timestamps, vocabulary
from pmo_playbook.documents.registry.shape import TIMESTAMPS, document, obj

STATUSES = ("pending", "ongoing", "completed", "closed")
PRIORITIES = ("low", "medium", "high")

COLLECTION = Collection(
    name="userfeedback",
    aliases=("user_feedback",),
    module="feedback",
    shape=document(
        *("feedbackId", "sessionId", "messageId", "userQuestion", "aiResponse"),
        *("userComment", "sopId", "sopTitle", "sopSection", "confidence"),
        *("status", "priority"),
        *TIMESTAMPS,
        ("aiSuggestion", obj("content", "rationale")),
        "adminNotes",
    ),
    table="user_feedback",
    columns=(
        key("feedback_id", "feedbackId"),
        text("session_id", "sessionId"),
        text("sop_id", "sopId"),
        vocabulary("status", "status", STATUSES, "pending"),
        vocabulary("priority", "priority", PRIORITIES, "medium"),
        *timestamps(),
    ),
    natural_keys=(("feedback_id",),),
    legacy_indexes=(
        ID_INDEX, index({"createdAt": -1}, "createdAt_-1"),
        index({"status": 1, "priority": -1, "createdAt": -1}, "status_1_priority_-1_createdAt_-1"),
        index({"sopId": 1, "status": 1}, "sopId_1_status_1"),
    ),
)  # fmt: skip
