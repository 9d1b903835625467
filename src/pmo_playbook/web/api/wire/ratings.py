"""The legacy JSON of message ratings (`/api/message-feedback`)."""

from __future__ import annotations

from typing import Any

from pmo_playbook.documents.common import render_row
from pmo_playbook.documents.feedback import MessageRating
from pmo_playbook.services.message_ratings import RatingOutcome


def rating_json(rating: MessageRating) -> dict[str, Any]:
    """`_id`, the document's keys in stored order, then createdAt/updatedAt from the columns."""
    return render_row(rating.legacy_id, rating.data, rating.created_at, rating.updated_at)


def rating_outcome_json(outcome: RatingOutcome) -> dict[str, Any]:
    """`{success, message, feedback}` of a POST."""
    return {
        "success": True,
        "message": "Feedback recorded" if outcome.created else "Feedback updated",
        "feedback": rating_json(outcome.rating),
    }
