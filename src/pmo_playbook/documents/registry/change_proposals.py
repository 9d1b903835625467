"""`change_proposals`: proposed SOP changes and their review (module proposals)."""

from __future__ import annotations

from pmo_playbook.documents.registry.collection import ID_INDEX, Collection, index
from pmo_playbook.documents.registry.columns import key, text, timestamps, vocabulary
from pmo_playbook.documents.registry.shape import DATE, OBJECT_ID, TIMESTAMPS, arr, document, obj

STATUSES = ("pending_review", "approved", "rejected", "implemented", "archived")
PRIORITIES = ("low", "medium", "high", "critical")

COLLECTION = Collection(
    name="change_proposals",
    module="proposals",
    shape=document(
        *("proposalId", "sopId"),
        ("humanSopId", OBJECT_ID),
        "triggerQuery",
        ("conversationContext",
         obj("sessionId", ("messages", arr(obj("role", "content"))), ("timestamp", DATE))),
        ("proposedChange",
         obj("section", "originalContent", "suggestedContent", "changeType", "rationale")),
        *("status", "priority"),
        ("reviewHistory", arr(obj("action", "performedBy", ("timestamp", DATE), "comments"))),
        ("metrics", obj("similarProposalsCount", "affectedUsersCount", "confidenceScore")),
        "tags",
        *TIMESTAMPS,
        ("implementationDetails",
         obj("newVersion", ("implementedAt", DATE), "implementedBy", "rollbackVersion")),
    ),
    table="change_proposals",
    columns=(
        key("proposal_id", "proposalId"),
        text("sop_id", "sopId"),
        vocabulary("status", "status", STATUSES, "pending_review"),
        vocabulary("priority", "priority", PRIORITIES, "medium"),
        *timestamps(),
    ),
    natural_keys=(("proposal_id",),),
    legacy_indexes=(
        ID_INDEX, index({"proposalId": 1}, "proposalId_1", True), index({"sopId": 1}, "sopId_1"),
        index({"status": 1, "priority": -1, "createdAt": -1}, "status_1_priority_-1_createdAt_-1"),
    ),
)  # fmt: skip
