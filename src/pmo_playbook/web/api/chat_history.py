"""`/api/chat-history` (legacy §2.2): GET history, POST one message, PATCH active sessions (D31)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from pmo_playbook.documents.chat import (
    MESSAGE_MAX_CHARS,
    MESSAGE_ROLES,
    SESSION_ID_PATTERN,
    SOP_ID_PATTERN,
)
from pmo_playbook.services.chat_history import active_sessions, get_history, post_message
from pmo_playbook.web.api.contract import READ, errors, required_fields, required_query
from pmo_playbook.web.api.wire.sessions import active_session_json, history_json, posted_json
from pmo_playbook.web.deps import Conn, CurrentActor

router = APIRouter(tags=["sessions"], responses=READ)


# What of `attribution` is stored with the message (other keys are ignored): the selected
# SOP's id (when `selectedSOP` is an object with one) and a confidence in 0..1.
_ATTRIBUTION: dict[str, Any] = {
    "properties": {
        "selectedSOP": {
            "anyOf": [
                {
                    "type": "object",
                    "properties": {
                        "sopId": {"type": ["string", "null"], "pattern": SOP_ID_PATTERN}
                    },
                },
                {"type": ["string", "number", "boolean", "array", "null"]},
            ]
        },
        "confidence": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
    }
}


class HistoryPost(BaseModel):
    """POST body; missing fields give the legacy 400, wrong types 422 (D3)."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra=required_fields("sessionId", "message", "type", blank_is_missing=False),
    )

    sessionId: StrictStr | None = Field(
        default=None, json_schema_extra={"pattern": SESSION_ID_PATTERN}
    )
    message: StrictStr | None = Field(
        default=None, json_schema_extra={"maxLength": MESSAGE_MAX_CHARS}
    )
    type: StrictStr | None = Field(default=None, json_schema_extra={"enum": list(MESSAGE_ROLES)})
    attribution: dict[str, Any] | None = Field(default=None, json_schema_extra=_ATTRIBUTION)


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


@router.get("/api/chat-history", response_model=None, openapi_extra=required_query("sessionId"))
def read_history(
    conn: Conn,
    actor: CurrentActor,
    sessionId: Annotated[
        str | None, Query(max_length=200, json_schema_extra={"pattern": SESSION_ID_PATTERN})
    ] = None,
) -> dict[str, Any]:
    """`{messages, sessionId, sopUsage, startedAt, exists}`; messages carry `messageId`."""
    return history_json(get_history(conn, actor, sessionId))


@router.post("/api/chat-history", response_model=HistoryPosted, responses=errors(409))
def append_message(
    body: HistoryPost, request: Request, conn: Conn, actor: CurrentActor
) -> HistoryPosted:
    """Append one message to the caller's session (created when missing)."""
    posted = post_message(
        conn,
        actor,
        body.sessionId,
        body.message,
        body.type,
        body.attribution,
        request.headers.get("user-agent"),
    )
    return HistoryPosted(**posted_json(posted))


@router.patch("/api/chat-history", response_model=ActiveSessions, responses=errors(409))
def list_active(
    conn: Conn, actor: CurrentActor, limit: Annotated[int, Query(ge=1, le=100)] = 10
) -> ActiveSessions:
    """Kept for old clients (it only reads, D31): the caller's active sessions."""
    return ActiveSessions(
        sessions=[
            ActiveSession(**active_session_json(s)) for s in active_sessions(conn, actor, limit)
        ]
    )
