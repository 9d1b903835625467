"""`/api/chat-history` (legacy §2.2): GET history, POST one message, PATCH active sessions (D31)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, StrictStr

from pmo_playbook.services.chat_history import active_sessions, get_history, post_message
from pmo_playbook.web.api.contract import READ, errors
from pmo_playbook.web.deps import Conn, CurrentActor

router = APIRouter(tags=["sessions"], responses=READ)


class HistoryPost(BaseModel):
    """POST body; missing fields give the legacy 400, wrong types 422 (D3)."""

    model_config = ConfigDict(extra="ignore")

    sessionId: StrictStr | None = None
    message: StrictStr | None = None
    type: StrictStr | None = None
    attribution: dict[str, Any] | None = None


class HistoryPosted(BaseModel):
    success: bool
    messageCount: int
    messageId: str
    sessionId: str


class ActiveSession(BaseModel):
    sessionId: str
    startedAt: str
    messageCount: int
    lastMessage: str | None


class ActiveSessions(BaseModel):
    sessions: list[ActiveSession]


@router.get("/api/chat-history", response_model=None)
def read_history(
    conn: Conn,
    actor: CurrentActor,
    sessionId: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """`{messages, sessionId, sopUsage, startedAt, exists}`; messages carry `messageId`."""
    return get_history(conn, actor, sessionId)


@router.post("/api/chat-history", response_model=HistoryPosted, responses=errors(409))
def append_message(
    body: HistoryPost, request: Request, conn: Conn, actor: CurrentActor
) -> HistoryPosted:
    """Append one message to the caller's session (created when missing)."""
    result = post_message(
        conn,
        actor,
        body.sessionId,
        body.message,
        body.type,
        body.attribution,
        request.headers.get("user-agent"),
    )
    return HistoryPosted(**result)


@router.patch("/api/chat-history", response_model=ActiveSessions, responses=errors(409))
def list_active(
    conn: Conn, actor: CurrentActor, limit: Annotated[int, Query(ge=1, le=100)] = 10
) -> ActiveSessions:
    """Kept for old clients (it only reads, D31): the caller's active sessions."""
    return ActiveSessions(
        sessions=[ActiveSession(**s) for s in active_sessions(conn, actor, limit)]
    )
