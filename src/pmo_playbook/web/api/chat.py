"""`POST /api/chat` (legacy §2.1): ask a question, get a grounded answer with citations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from pmo_playbook.config import Settings
from pmo_playbook.documents.chat import SESSION_ID_CHAR, SESSION_ID_MAX
from pmo_playbook.errors import RateLimited
from pmo_playbook.services.chat import answer_question
from pmo_playbook.services.rate_limit import RateLimiter, enforce
from pmo_playbook.web.api.contract import READ, errors, required_fields
from pmo_playbook.web.client_address import client_address
from pmo_playbook.web.deps import AppSettings, Conn, CurrentActor
from pmo_playbook.web.errors import envelope
from pmo_playbook.web.responses import JsonResponse

router = APIRouter(tags=["chat"], responses=READ)
DEFAULT_MAX_MESSAGE_CHARS = Settings.model_fields["chat_max_message_chars"].default


class ChatRequest(BaseModel):
    """`{message, sessionId?, projectId?}`; types are checked by the service (400 vs 422 rules).
    The document states them: `message` up to `PMO_CHAT_MAX_MESSAGE_CHARS` (default stated),
    `sessionId` absent, null or "" for a new session, `projectId` the project asked about."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=required_fields("message"))

    message: Any = Field(
        default=None,
        json_schema_extra={"type": "string", "maxLength": DEFAULT_MAX_MESSAGE_CHARS},
    )
    sessionId: Any = Field(
        default=None,
        json_schema_extra={
            "type": ["string", "null"],
            "pattern": rf"^{SESSION_ID_CHAR}{{0,{SESSION_ID_MAX}}}$",
        },
    )
    projectId: Any = Field(
        default=None,
        json_schema_extra={"type": ["string", "null"], "pattern": "^([Pp][Rr][Oo]-[0-9]{3,})?$"},
    )


class SelectedSop(BaseModel):
    sopId: str
    title: str
    phase: int


class Attribution(BaseModel):
    selectedSOP: SelectedSop | None
    confidence: float
    reasoning: str


class CitationOut(BaseModel):
    sopId: str
    section: str
    quote: str


class ChatResponse(BaseModel):
    response: str
    sessionId: str
    attribution: Attribution
    messageId: str
    citations: list[CitationOut]


def _rate_keys(request: Request, user_id: str | None, session_id: Any, proxies: str) -> list[str]:
    """Per signed-in user (else per client address) and per session."""
    keys = [f"user:{user_id}" if user_id else f"ip:{client_address(request, proxies)}"]
    if isinstance(session_id, str) and session_id:
        keys.append(f"session:{session_id[:200]}")
    return keys


@router.post(
    "/api/chat",
    response_model=ChatResponse,
    responses=errors(409, 429),
    summary="Ask a question; the answer cites the SOP it comes from",
)
def post_chat(
    body: ChatRequest, request: Request, conn: Conn, actor: CurrentActor, settings: AppSettings
) -> Any:
    """Answer `message` in session `sessionId` (made on the server when absent)."""
    limiter = RateLimiter(settings.chat_rate_limit_per_minute)
    keys = _rate_keys(request, actor.user_id, body.sessionId, settings.trusted_proxies)
    try:
        enforce(limiter, conn, keys)
    except RateLimited as exc:
        retry = str(exc.details.get("retryAfter", 60))
        return envelope(exc.status, exc.message, exc.code, exc.details, {"Retry-After": retry})
    finally:
        conn.commit()  # the edge's transaction: release the limit's row locks before answering
    reply = answer_question(
        conn,
        actor,
        body.message,
        body.sessionId,
        settings=settings,
        user_agent=request.headers.get("user-agent"),
        project_id=body.projectId,
    )
    return JsonResponse(reply.as_json())
