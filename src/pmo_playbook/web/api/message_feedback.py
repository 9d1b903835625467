"""`/api/message-feedback` (thumbs up/down, legacy §2.11)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from pmo_playbook.errors import InvalidInput
from pmo_playbook.services.analytics import confidence_accuracy, ratings_overview, sop_rating_stats
from pmo_playbook.services.message_ratings import (
    rate_message,
    recent_ratings,
    remove_rating,
    session_ratings,
)
from pmo_playbook.web.api.contract import READ, errors
from pmo_playbook.web.deps import Conn, CurrentActor

router = APIRouter(tags=["feedback"], responses=READ)


class RatingPost(BaseModel):
    """POST body: missing fields give the legacy 400, wrong types 422 (D3)."""

    model_config = ConfigDict(extra="ignore")

    messageId: StrictStr | None = Field(default=None, max_length=200)
    sessionId: StrictStr | None = Field(default=None, max_length=200)
    rating: StrictStr | None = None
    sopUsed: StrictStr | None = Field(default=None, max_length=100)
    confidence: StrictFloat | StrictInt | None = None
    feedbackReason: StrictStr | None = None


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
    return RatingResult(**rate_message(conn, actor, body.model_dump(exclude_none=True)))


@router.get("/api/message-feedback", response_model=None)
def read_ratings(
    conn: Conn,
    actor: CurrentActor,
    stats: Annotated[str | None, Query(max_length=20)] = None,
    sopId: Annotated[str | None, Query(max_length=100)] = None,
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
        return {"feedback": session_ratings(conn, actor, sessionId)}
    return {"feedback": recent_ratings(conn, actor, limit)}


@router.delete("/api/message-feedback", response_model=Removed, responses=errors(409))
def unrate(
    conn: Conn,
    actor: CurrentActor,
    messageId: Annotated[str | None, Query(max_length=200)] = None,
    sessionId: Annotated[str | None, Query(max_length=200)] = None,
) -> Removed:
    """Remove the caller's rating of a message."""
    remove_rating(conn, actor, messageId, sessionId)
    return Removed(success=True, message="Feedback removed")
