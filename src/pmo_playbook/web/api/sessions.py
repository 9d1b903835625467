"""`/api/sessions` and `/api/sessions/{sessionId}/thread` (legacy §2.3, §2.4), caller-scoped."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from pmo_playbook.documents.chat import SESSION_ID_PATTERN
from pmo_playbook.services.analytics import session_analytics
from pmo_playbook.services.sessions import (
    delete_session,
    get_thread,
    list_sessions,
    rename_session,
)
from pmo_playbook.web.api.contract import READ, errors, required_fields, required_query
from pmo_playbook.web.api.wire.sessions import renamed_json, session_summary_json, thread_json
from pmo_playbook.web.deps import Conn, CurrentActor

router = APIRouter(tags=["sessions"], responses=READ)
# Checked by the service (400 when missing, 422 when malformed); the document states the rule.
SessionIdQuery = Annotated[
    str | None, Query(max_length=200, json_schema_extra={"pattern": SESSION_ID_PATTERN})
]


class SessionItem(BaseModel):
    """One entry of the Recent Chats list."""

    sessionId: str
    name: str
    sessionName: str | None
    summary: str
    messageCount: int
    startedAt: str
    lastActive: str
    isActive: bool


class SessionList(BaseModel):
    sessions: list[SessionItem]
    total: int


class SessionPatch(BaseModel):
    """PATCH body: `sessionName` is set when the key is present ("" allowed)."""

    model_config = ConfigDict(
        extra="ignore", json_schema_extra=required_fields("sessionId", blank_is_missing=False)
    )

    sessionId: StrictStr | None = Field(
        default=None, json_schema_extra={"pattern": SESSION_ID_PATTERN}
    )
    sessionName: StrictStr | None = Field(default=None, max_length=200)
    updateLastActive: StrictBool | None = None


class PatchedSession(BaseModel):
    sessionId: str
    sessionName: str | None
    lastActive: str


class SessionPatchResult(BaseModel):
    success: bool
    session: PatchedSession


class DeleteResult(BaseModel):
    success: bool
    message: str


class ThreadMessage(BaseModel):
    id: str
    messageId: str
    role: str | None
    content: Any
    timestamp: Any
    selectedSopId: str | None
    confidence: float | None
    isHighlighted: bool


class Thread(BaseModel):
    sessionId: str
    sessionName: str
    summary: str | None
    startedAt: str
    lastActive: str
    messageCount: int
    messages: list[ThreadMessage]


@router.get("/api/sessions", response_model=None)
def get_sessions(
    conn: Conn,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    currentSessionId: Annotated[str | None, Query(max_length=200)] = None,
    analytics: Annotated[str | None, Query(max_length=10)] = None,
) -> dict[str, Any]:
    """The caller's sessions (`{sessions, total}`), or with `analytics=true` the session
    analytics over all sessions (needs the analytics permission)."""
    if analytics == "true":
        return session_analytics(conn, actor).model_dump(by_alias=True)
    items = list_sessions(conn, actor, limit, currentSessionId)
    listed = [SessionItem(**session_summary_json(i)) for i in items]
    return SessionList(sessions=listed, total=len(items)).model_dump()


@router.patch("/api/sessions", response_model=SessionPatchResult, responses=errors(409))
def patch_session(body: SessionPatch, conn: Conn, actor: CurrentActor) -> SessionPatchResult:
    """Rename the caller's session and/or bump its lastActive."""
    changes = {"sessionName": body.sessionName} if "sessionName" in body.model_fields_set else {}
    session = rename_session(conn, actor, body.sessionId, changes, bool(body.updateLastActive))
    return SessionPatchResult(success=True, session=PatchedSession(**renamed_json(session)))


@router.delete(
    "/api/sessions",
    response_model=DeleteResult,
    responses=errors(409),
    openapi_extra=required_query("sessionId"),
)
def remove_session(
    conn: Conn,
    actor: CurrentActor,
    sessionId: SessionIdQuery = None,
) -> DeleteResult:
    """Hard-delete the caller's session (its ratings and gap reports stay)."""
    delete_session(conn, actor, sessionId)
    return DeleteResult(success=True, message="Session deleted successfully")


@router.get("/api/sessions/{sessionId}/thread", response_model=Thread)
def session_thread(
    sessionId: str,
    conn: Conn,
    actor: CurrentActor,
    highlightMessageId: Annotated[str | None, Query(max_length=200)] = None,
) -> Thread:
    """The conversation viewer: the caller's own thread, or any thread for admins/reviewers."""
    return Thread(**thread_json(get_thread(conn, actor, sessionId, highlightMessageId)))
