"""`/api/user-feedback` and `/api/user-feedback/{id}` (gap reports, legacy §2.10)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from pmo_playbook.services.analytics import gap_analytics
from pmo_playbook.services.gap_reports import (
    close_gap_report,
    file_gap_report,
    get_gap_report,
    list_gap_reports,
    regenerate_suggestion,
    update_gap_report,
)
from pmo_playbook.web.api.contract import READ, errors
from pmo_playbook.web.deps import Conn, CurrentActor

router = APIRouter(tags=["feedback"], responses=READ)
_TEXT = 20_000


class GapReportPost(BaseModel):
    """POST body: missing fields give the legacy 400, wrong types 422 (D3)."""

    model_config = ConfigDict(extra="ignore")

    sessionId: StrictStr | None = Field(default=None, max_length=200)
    messageId: StrictStr | None = Field(default=None, max_length=200)
    userQuestion: StrictStr | None = Field(default=None, max_length=_TEXT)
    aiResponse: StrictStr | None = Field(default=None, max_length=_TEXT * 5)
    userComment: StrictStr | None = Field(default=None, max_length=_TEXT)
    sopId: StrictStr | None = Field(default=None, max_length=100)
    sopTitle: StrictStr | None = Field(default=None, max_length=500)
    confidence: StrictFloat | StrictInt | None = None


class GapReportPatch(BaseModel):
    """PATCH body: status/priority applied when non-empty, adminNotes when present."""

    model_config = ConfigDict(extra="ignore")

    status: StrictStr | None = None
    priority: StrictStr | None = None
    adminNotes: StrictStr | None = Field(default=None, max_length=_TEXT)
    regenerateSuggestion: StrictBool | None = None


class Feedback(BaseModel):
    """`{feedback}` with the report in the legacy JSON shape."""

    feedback: dict[str, Any]


class FeedbackWithMessage(Feedback):
    message: str


class Closed(BaseModel):
    message: str


@router.get("/api/user-feedback", response_model=None)
def list_reports(
    conn: Conn,
    actor: CurrentActor,
    status: Annotated[str | None, Query(max_length=20)] = None,
    priority: Annotated[str | None, Query(max_length=20)] = None,
    sopId: Annotated[str | None, Query(max_length=100)] = None,
    analytics: Annotated[str | None, Query(max_length=10)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """Triage list (`{feedback, statusCounts, pagination}`), or `analytics=true`."""
    if analytics == "true":
        return gap_analytics(conn, actor).model_dump(by_alias=True)
    filters = {"status": status, "priority": priority, "sopId": sopId}
    return list_gap_reports(conn, actor, filters, limit, skip)


@router.post(
    "/api/user-feedback", status_code=201, response_model=FeedbackWithMessage, responses=errors(409)
)
def file_report(body: GapReportPost, conn: Conn, actor: CurrentActor) -> JSONResponse:
    """File a gap report about one answer of the caller's own session."""
    result = file_gap_report(conn, actor, body.model_dump(exclude_none=True))
    return JSONResponse(status_code=201, content=result)


@router.get("/api/user-feedback/{feedback_id}", response_model=Feedback)
def read_report(feedback_id: str, conn: Conn, actor: CurrentActor) -> Feedback:
    """One report by feedbackId or `_id` (its suggestion composed once if it had none)."""
    return Feedback(**get_gap_report(conn, actor, feedback_id))


@router.patch(
    "/api/user-feedback/{feedback_id}", response_model=FeedbackWithMessage, responses=errors(409)
)
def patch_report(
    feedback_id: str, body: GapReportPatch, conn: Conn, actor: CurrentActor
) -> FeedbackWithMessage:
    """Triage: status, priority, admin notes; `regenerateSuggestion: true` recomposes it."""
    changes = body.model_dump(include=body.model_fields_set - {"regenerateSuggestion"})
    result = update_gap_report(conn, actor, feedback_id, changes, bool(body.regenerateSuggestion))
    return FeedbackWithMessage(**result)


@router.delete("/api/user-feedback/{feedback_id}", response_model=Closed, responses=errors(409))
def close_report(feedback_id: str, conn: Conn, actor: CurrentActor) -> Closed:
    """Soft close (status closed, a note appended to the admin notes)."""
    return Closed(**close_gap_report(conn, actor, feedback_id))


@router.post(
    "/api/user-feedback/{feedback_id}/suggestion", response_model=Feedback, responses=errors(409)
)
def regenerate(feedback_id: str, conn: Conn, actor: CurrentActor) -> Feedback:
    """Recompose the stored improvement suggestion on purpose (D26)."""
    return Feedback(**regenerate_suggestion(conn, actor, feedback_id))
