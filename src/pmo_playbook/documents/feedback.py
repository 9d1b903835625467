"""Gap reports (legacy collection `userfeedback`) and message ratings (`message_feedback`).

Vocabularies are the legacy enums; the API validates against them (D20) and the schema's
CHECK constraints back them up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from pmo_playbook.documents.registry import message_feedback, userfeedback

FEEDBACK_STATUSES = userfeedback.STATUSES
FEEDBACK_PRIORITIES = userfeedback.PRIORITIES
# Sort rank: high first (D22: the legacy sorted the strings, giving medium > low > high).
PRIORITY_RANK = {"high": 0, "medium": 1, "low": 2}
RATINGS = message_feedback.RATINGS
DEFAULT_CONFIDENCE = 0.5
CLOSE_NOTE = "Feedback deleted by admin"


class GapReport(BaseModel):
    """One user_feedback row."""

    pk: int
    legacy_id: str | None
    feedback_id: str
    session_id: str | None
    sop_id: str | None
    status: str
    priority: str
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class MessageRating(BaseModel):
    """One message_feedback row."""

    legacy_id: str | None
    message_id: str
    session_id: str
    rating: str
    sop_used: str | None
    confidence: float | None
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime
