"""`message_feedback`: helpful / not helpful ratings of chat answers (module feedback)."""

from __future__ import annotations

from pmo_playbook.documents.registry.collection import ID_INDEX, Collection, index
from pmo_playbook.documents.registry.columns import key, number, text, timestamps, vocabulary
from pmo_playbook.documents.registry.shape import TIMESTAMPS, document

RATINGS = ("helpful", "not_helpful")

COLLECTION = Collection(
    name="message_feedback",
    module="feedback",
    shape=document(
        *("messageId", "sessionId", "rating", "sopUsed", "confidence"), *TIMESTAMPS,
        "feedbackReason",
    ),
    table="message_feedback",
    columns=(
        key("message_id", "messageId"),
        key("session_id", "sessionId"),
        vocabulary("rating", "rating", RATINGS, None),
        text("sop_used", "sopUsed"),
        number("confidence", "confidence"),
        *timestamps(),
    ),
    natural_keys=(("message_id", "session_id"),),
    legacy_indexes=(
        ID_INDEX, index({"messageId": 1, "sessionId": 1}, "messageId_1_sessionId_1", True),
        index({"sopUsed": 1, "rating": 1}, "sopUsed_1_rating_1"),
    ),
)  # fmt: skip
