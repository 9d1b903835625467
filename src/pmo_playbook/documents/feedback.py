"""Gap reports (legacy collection `userfeedback`) and message ratings (`message_feedback`).

Vocabularies are the legacy enums; the API validates against them (D20) and the schema's
CHECK constraints back them up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from pmo_playbook.documents.registry import message_feedback, userfeedback

FEEDBACK_STATUSES = userfeedback.STATUSES
FEEDBACK_PRIORITIES = userfeedback.PRIORITIES
# Sort rank: high first (D22: the legacy sorted the strings, giving medium > low > high).
PRIORITY_RANK = {"high": 0, "medium": 1, "low": 2}
RATINGS = message_feedback.RATINGS
DEFAULT_CONFIDENCE = 0.5
CLOSE_NOTE = "Feedback deleted by admin"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class GapSuggestion(BaseModel):
    """The improvement suggestion composed for a report (`aiSuggestion`)."""

    model_config = ConfigDict(frozen=True)

    content: str
    rationale: str | None = None


class GapOutcome(BaseModel):
    """What a proposal's review did to a report (`outcome`, written by the review)."""

    model_config = ConfigDict(frozen=True)

    state: str
    proposal_id: str | None = None
    at: str | None = None  # natural ISO text, as stored
    sop_id: str | None = None
    new_version: int | None = None
    reason: str | None = None

    @classmethod
    def of(cls, raw: Any) -> GapOutcome | None:
        """The outcome stored in a report's document, or None when there is none (or it is
        not an object with a state: a migrated document may hold anything)."""
        if not isinstance(raw, dict) or not isinstance(raw.get("state"), str):
            return None
        version = raw.get("newVersion")
        return cls(
            state=raw["state"],
            proposal_id=_text(raw.get("proposalId")),
            at=_text(raw.get("at")),
            sop_id=_text(raw.get("sopId")),
            new_version=version if isinstance(version, int) else None,
            reason=_text(raw.get("reason")),
        )


class GapReport(BaseModel):
    """One user_feedback row; the properties read the document's fields by their meaning
    (the API edge writes the legacy JSON from `data`, the pages read these)."""

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

    @property
    def message_id(self) -> str | None:
        return _text(self.data.get("messageId"))

    @property
    def user_question(self) -> str | None:
        return _text(self.data.get("userQuestion"))

    @property
    def ai_response(self) -> str | None:
        return _text(self.data.get("aiResponse"))

    @property
    def user_comment(self) -> str | None:
        return _text(self.data.get("userComment"))

    @property
    def sop_title(self) -> str | None:
        return _text(self.data.get("sopTitle"))

    @property
    def sop_section(self) -> str | None:
        return _text(self.data.get("sopSection"))

    @property
    def admin_notes(self) -> str | None:
        return _text(self.data.get("adminNotes"))

    @property
    def proposal_id(self) -> str | None:
        return _text(self.data.get("proposalId"))

    @property
    def confidence(self) -> float | None:
        value = self.data.get("confidence")
        return (
            float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        )

    @property
    def ai_suggestion(self) -> GapSuggestion | None:
        raw = self.data.get("aiSuggestion")
        if not isinstance(raw, dict) or not isinstance(raw.get("content"), str):
            return None
        return GapSuggestion(content=raw["content"], rationale=_text(raw.get("rationale")))

    @property
    def outcome(self) -> GapOutcome | None:
        return GapOutcome.of(self.data.get("outcome"))

    @property
    def short_id(self) -> str:
        """The `#<epoch part>` the legacy list shows for `feedback-<epoch>-<random>`."""
        parts = self.feedback_id.split("-")
        return parts[1] if len(parts) >= 3 else self.feedback_id


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
