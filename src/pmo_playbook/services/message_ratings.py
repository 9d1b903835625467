"""Thumbs up/down on answers (legacy `/api/message-feedback`, §2.11).

One rating per (message, session), upserted race-free (D18). Ratings reference the stored,
stable message ids (D21, D28) of the rater's own session (D2, D3): rating a message that is not
in the caller's session is a 404.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import psycopg

from pmo_playbook.documents.chat import SOP_ID_PATTERN
from pmo_playbook.documents.feedback import RATINGS, MessageRating
from pmo_playbook.errors import BadRequest, InvalidInput, NotFound
from pmo_playbook.repositories.chat_histories import ChatHistoryRepository
from pmo_playbook.repositories.message_feedback import MessageFeedbackRepository
from pmo_playbook.services.actor import Actor
from pmo_playbook.services.analytics import require_analytics

_SOP_ID = re.compile(SOP_ID_PATTERN)
REASON_MAX = 1000


@dataclass(frozen=True)
class RatingOutcome:
    """The stored rating and whether this call created it (False: an earlier one changed)."""

    rating: MessageRating
    created: bool


def _validate(body: dict[str, Any]) -> tuple[str, str, str, str, float, str | None]:
    for key in ("messageId", "sessionId", "rating", "sopUsed", "feedbackReason"):
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{key} must be a string", details={"field": key})
    confidence = body.get("confidence")
    required = [body.get(k) for k in ("messageId", "sessionId", "rating", "sopUsed")]
    if any(not v for v in required) or confidence is None:
        raise BadRequest("Missing required fields")
    if body["rating"] not in RATINGS:
        raise InvalidInput("rating must be helpful or not_helpful", details={"field": "rating"})
    if not _SOP_ID.match(body["sopUsed"]):
        raise InvalidInput("sopUsed must look like SOP-001", details={"field": "sopUsed"})
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise InvalidInput("confidence must be a number", details={"field": "confidence"})
    if not math.isfinite(confidence) or not 0 <= confidence <= 1:
        raise InvalidInput("confidence must be between 0 and 1", details={"field": "confidence"})
    reason = body.get("feedbackReason")
    if reason is not None and len(reason) > REASON_MAX:
        raise InvalidInput(
            f"feedbackReason must be at most {REASON_MAX} characters",
            details={"field": "feedbackReason"},
        )
    return (
        body["messageId"],
        body["sessionId"],
        body["rating"],
        body["sopUsed"],
        confidence,
        reason,
    )


def rate_message(
    conn: psycopg.Connection[Any], actor: Actor, body: dict[str, Any]
) -> RatingOutcome:
    """Record or update the actor's rating of one stored message of their own session."""
    message_id, session_id, rating, sop_used, confidence, reason = _validate(body)
    exists, message = ChatHistoryRepository(conn).find_message(
        session_id, actor.owner_key, message_id
    )
    if not exists:
        raise NotFound("Chat session not found", details={"sessionId": session_id})
    if message is None:
        raise NotFound(
            "Message not found", details={"sessionId": session_id, "messageId": message_id}
        )
    row, created = MessageFeedbackRepository(conn).upsert(
        message_id, session_id, rating, sop_used, float(confidence), reason
    )
    return RatingOutcome(rating=row, created=created)


def session_ratings(
    conn: psycopg.Connection[Any], actor: Actor, session_id: str
) -> list[MessageRating]:
    """Ratings of the actor's own session (the chat reloads them, D28); [] for others."""
    if ChatHistoryRepository(conn).get_owned(session_id, actor.owner_key) is None:
        return []
    return MessageFeedbackRepository(conn).for_session(session_id)


def recent_ratings(conn: psycopg.Connection[Any], actor: Actor, limit: int) -> list[MessageRating]:
    """The newest ratings of everyone (analytics permission)."""
    require_analytics(actor)
    return MessageFeedbackRepository(conn).recent(limit)


def remove_rating(
    conn: psycopg.Connection[Any], actor: Actor, message_id: str | None, session_id: str | None
) -> None:
    """Remove the actor's rating (toggling a thumb off)."""
    if not message_id or not session_id:
        raise BadRequest("Missing messageId or sessionId")
    if ChatHistoryRepository(conn).get_owned(session_id, actor.owner_key) is None:
        raise NotFound("Feedback not found", details={"sessionId": session_id})
    if not MessageFeedbackRepository(conn).delete(message_id, session_id):
        raise NotFound("Feedback not found", details={"messageId": message_id})
