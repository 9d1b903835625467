"""`/api/user-feedback` and `/api/user-feedback/{id}` (gap reports, legacy §2.10)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from pmo_playbook.documents.feedback import FEEDBACK_PRIORITIES, FEEDBACK_STATUSES
from pmo_playbook.services.analytics import gap_analytics
from pmo_playbook.services.gap_reports import (
    CLOSED,
    REQUIRED,
    THANK_YOU,
    UPDATED,
    close_gap_report,
    file_gap_report,
    get_gap_report,
    list_gap_reports,
    regenerate_suggestion,
    update_gap_report,
)
from pmo_playbook.web.api.contract import READ, errors, required_fields
from pmo_playbook.web.api.wire.gap_reports import gap_report_json, gap_report_page_json
from pmo_playbook.web.deps import Conn, CurrentActor

router = APIRouter(tags=["feedback"], responses=READ)
_TEXT = 20_000


class GapReportPost(BaseModel):
    """POST body: missing fields give the legacy 400, wrong types 422 (D3)."""

    model_config = ConfigDict(
        extra="ignore", json_schema_extra=required_fields(*REQUIRED, blank_is_missing=False)
    )

    sessionId: StrictStr | None = Field(default=None, max_length=200)
    messageId: StrictStr | None = Field(default=None, max_length=200)
    userQuestion: StrictStr | None = Field(default=None, max_length=_TEXT)
    aiResponse: StrictStr | None = Field(default=None, max_length=_TEXT * 5)
    userComment: StrictStr | None = Field(default=None, max_length=_TEXT)
    sopId: StrictStr | None = Field(default=None, max_length=100)
    sopTitle: StrictStr | None = Field(default=None, max_length=500)
    confidence: StrictFloat | StrictInt | None = Field(
        default=None, json_schema_extra={"minimum": 0, "maximum": 1}
    )


class GapReportPatch(BaseModel):
    """PATCH body: status/priority applied when non-empty, adminNotes when present."""

    model_config = ConfigDict(extra="ignore")

    status: StrictStr | None = Field(
        default=None, json_schema_extra={"enum": [*FEEDBACK_STATUSES, "", None]}
    )
    priority: StrictStr | None = Field(
        default=None, json_schema_extra={"enum": [*FEEDBACK_PRIORITIES, "", None]}
    )
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
    status: Annotated[
        str | None, Query(max_length=20, json_schema_extra={"enum": list(FEEDBACK_STATUSES)})
    ] = None,
    priority: Annotated[
        str | None, Query(max_length=20, json_schema_extra={"enum": list(FEEDBACK_PRIORITIES)})
    ] = None,
    sopId: Annotated[str | None, Query(max_length=100)] = None,
    analytics: Annotated[str | None, Query(max_length=10)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """Triage list (`{feedback, statusCounts, pagination}`), or `analytics=true`."""
    if analytics == "true":
        return gap_analytics(conn, actor).model_dump(by_alias=True)
    filters = {"status": status, "priority": priority, "sopId": sopId}
    return gap_report_page_json(list_gap_reports(conn, actor, filters, limit, skip))


@router.post(
    "/api/user-feedback", status_code=201, response_model=FeedbackWithMessage, responses=errors(409)
)
def file_report(body: GapReportPost, conn: Conn, actor: CurrentActor) -> JSONResponse:
    """File a gap report about one answer of the caller's own session."""
    report = file_gap_report(conn, actor, body.model_dump(exclude_none=True))
    content = {"feedback": gap_report_json(report), "message": THANK_YOU}
    return JSONResponse(status_code=201, content=content)


@router.get("/api/user-feedback/{feedback_id}", response_model=Feedback)
def read_report(feedback_id: str, conn: Conn, actor: CurrentActor) -> Feedback:
    """One report by feedbackId or `_id` (its suggestion composed once if it had none)."""
    return Feedback(feedback=gap_report_json(get_gap_report(conn, actor, feedback_id)))


@router.patch(
    "/api/user-feedback/{feedback_id}", response_model=FeedbackWithMessage, responses=errors(409)
)
def patch_report(
    feedback_id: str, body: GapReportPatch, conn: Conn, actor: CurrentActor
) -> FeedbackWithMessage:
    """Triage: status, priority, admin notes; `regenerateSuggestion: true` recomposes it."""
    changes = body.model_dump(include=body.model_fields_set - {"regenerateSuggestion"})
    report = update_gap_report(conn, actor, feedback_id, changes, bool(body.regenerateSuggestion))
    return FeedbackWithMessage(feedback=gap_report_json(report), message=UPDATED)


@router.delete("/api/user-feedback/{feedback_id}", response_model=Closed, responses=errors(409))
def close_report(feedback_id: str, conn: Conn, actor: CurrentActor) -> Closed:
    """Soft close (status closed, a note appended to the admin notes)."""
    close_gap_report(conn, actor, feedback_id)
    return Closed(message=CLOSED)


@router.post(
    "/api/user-feedback/{feedback_id}/suggestion", response_model=Feedback, responses=errors(409)
)
def regenerate(feedback_id: str, conn: Conn, actor: CurrentActor) -> Feedback:
    """Recompose the stored improvement suggestion on purpose (D26)."""
    return Feedback(feedback=gap_report_json(regenerate_suggestion(conn, actor, feedback_id)))
