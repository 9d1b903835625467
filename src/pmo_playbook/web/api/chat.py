"""`POST /api/chat` (legacy §2.1): ask a question, get a grounded answer with citations.

Registers the search indexer as the agent SOP change listener when imported (every app mounts
this router), so a regenerated SOP is re-indexed in the transaction that saved it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from pmo_playbook.ai.indexer import reindex_sop
from pmo_playbook.errors import RateLimited
from pmo_playbook.services.chat import answer_question
from pmo_playbook.services.rate_limit import RateLimiter, SlidingWindowLimiter, enforce
from pmo_playbook.services.sop_events import register_agent_sop_listener
from pmo_playbook.web.deps import AppSettings, Conn, CurrentActor
from pmo_playbook.web.errors import envelope

router = APIRouter(tags=["chat"])
register_agent_sop_listener(reindex_sop)


class ChatRequest(BaseModel):
    """`{message, sessionId?, projectId?}`; types are checked by the service (400 vs 422)."""

    model_config = ConfigDict(extra="ignore")

    message: Any = None
    sessionId: Any = None
    projectId: Any = None


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


def _limiter(request: Request, per_minute: int) -> RateLimiter:
    """The app's chat limiter (created on first use; tests may replace app.state.chat_limiter)."""
    limiter: RateLimiter | None = getattr(request.app.state, "chat_limiter", None)
    if limiter is None:
        limiter = SlidingWindowLimiter(per_minute)
        request.app.state.chat_limiter = limiter
    return limiter


def _rate_keys(request: Request, user_id: str | None, session_id: Any) -> list[str]:
    """Per signed-in user (else per client address) and per session."""
    host = request.client.host if request.client else "unknown"
    keys = [f"user:{user_id}" if user_id else f"ip:{host}"]
    if isinstance(session_id, str) and session_id:
        keys.append(f"session:{session_id}")
    return keys


@router.post(
    "/api/chat",
    response_model=ChatResponse,
    responses={400: {}, 422: {}, 429: {}, 503: {}},
    summary="Ask a question; the answer cites the SOP it comes from",
)
def post_chat(
    body: ChatRequest, request: Request, conn: Conn, actor: CurrentActor, settings: AppSettings
) -> Any:
    """Answer `message` in session `sessionId` (made on the server when absent)."""
    limiter = _limiter(request, settings.chat_rate_limit_per_minute)
    try:
        enforce(limiter, _rate_keys(request, actor.user_id, body.sessionId))
    except RateLimited as exc:
        retry = str(exc.details.get("retryAfter", 60))
        return envelope(exc.status, exc.message, exc.code, exc.details, {"Retry-After": retry})
    reply = answer_question(
        conn,
        actor,
        body.message,
        body.sessionId,
        settings=settings,
        user_agent=request.headers.get("user-agent"),
        project_id=body.projectId,
    )
    return JSONResponse(reply.as_json())
