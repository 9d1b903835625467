"""`/api/message-feedback` (thumbs up/down, legacy §2.11)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from pmo_playbook.documents.chat import SOP_ID_PATTERN
from pmo_playbook.documents.feedback import RATINGS
from pmo_playbook.errors import InvalidInput
from pmo_playbook.services.analytics import confidence_accuracy, ratings_overview, sop_rating_stats
from pmo_playbook.services.message_ratings import (
    REASON_MAX,
    rate_message,
    recent_ratings,
    remove_rating,
    session_ratings,
)
from pmo_playbook.web.api.contract import READ, errors, required_fields, required_query
from pmo_playbook.web.api.wire.ratings import rating_json, rating_outcome_json
from pmo_playbook.web.deps import Conn, CurrentActor

router = APIRouter(tags=["feedback"], responses=READ)


class RatingPost(BaseModel):
    """POST body: missing fields give the legacy 400, wrong types 422 (D3); the document
    states the rules the service checks."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra=required_fields(
            "messageId", "sessionId", "rating", "sopUsed", "confidence", blank_is_missing=False
        ),
    )

    messageId: StrictStr | None = Field(default=None, max_length=200)
    sessionId: StrictStr | None = Field(default=None, max_length=200)
    rating: StrictStr | None = Field(default=None, json_schema_extra={"enum": list(RATINGS)})
    sopUsed: StrictStr | None = Field(
        default=None, max_length=100, json_schema_extra={"pattern": SOP_ID_PATTERN}
    )
    confidence: StrictFloat | StrictInt | None = Field(
        default=None, json_schema_extra={"minimum": 0, "maximum": 1}
    )
    feedbackReason: StrictStr | None = Field(
        default=None, json_schema_extra={"maxLength": REASON_MAX}
    )


class RatingResult(BaseModel):
    success: bool
    message: str
    feedback: dict[str, Any]


class Removed(BaseModel):
    success: bool
    message: str


@router.post("/api/message-feedback", response_model=RatingResult, responses=errors(409))
def rate(body: RatingPost, conn: Conn, actor: CurrentActor) -> RatingResult:
    """Rate an answer of the caller's session (a second rating updates the first)."""
    outcome = rate_message(conn, actor, body.model_dump(exclude_none=True))
    return RatingResult(**rating_outcome_json(outcome))


@router.get("/api/message-feedback", response_model=None)
def read_ratings(
    conn: Conn,
    actor: CurrentActor,
    stats: Annotated[
        str | None, Query(max_length=20, json_schema_extra={"enum": ["all", "true", "confidence"]})
    ] = None,
    sopId: Annotated[
        str | None,
        Query(max_length=100, description="Required (not empty) with stats=true, else 422"),
    ] = None,
    sessionId: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    """Modes: `stats=all`, `stats=true&sopId=`, `stats=confidence`, `sessionId=`, or the
    newest `limit` ratings."""
    if stats == "all":
        return ratings_overview(conn, actor).model_dump(by_alias=True)
    if stats == "true":
        if not sopId:
            raise InvalidInput("sopId is required with stats=true", details={"field": "sopId"})
        return sop_rating_stats(conn, actor, sopId).model_dump()
    if stats == "confidence":
        return [b.model_dump(by_alias=True) for b in confidence_accuracy(conn, actor)]
    if stats is not None:
        raise InvalidInput("stats must be all, true or confidence", details={"field": "stats"})
    if sessionId:
        return {"feedback": [rating_json(r) for r in session_ratings(conn, actor, sessionId)]}
    return {"feedback": [rating_json(r) for r in recent_ratings(conn, actor, limit)]}


@router.delete(
    "/api/message-feedback",
    response_model=Removed,
    responses=errors(409),
    openapi_extra=required_query("messageId", "sessionId"),
)
def unrate(
    conn: Conn,
    actor: CurrentActor,
    messageId: Annotated[str | None, Query(max_length=200)] = None,
    sessionId: Annotated[str | None, Query(max_length=200)] = None,
) -> Removed:
    """Remove the caller's rating of a message."""
    remove_rating(conn, actor, messageId, sessionId)
    return Removed(success=True, message="Feedback removed")
