"""Chat panel actions: switch, new, rename, delete, rate, report a gap, export (and /chat).

Every action is a form that works without JavaScript (POST, then 303 back to the page it came
from) and, through htmx, answers with the re-rendered panel (or a small fragment). The routes
call the same services as the JSON API; sessions are the visitor's own (actor.owner_key).
"""

from __future__ import annotations

from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pmo_playbook.config import Settings
from pmo_playbook.documents.chat import ChatMessage
from pmo_playbook.documents.feedback import DEFAULT_CONFIDENCE
from pmo_playbook.errors import NotFound
from pmo_playbook.services.actor import Actor
from pmo_playbook.services.chat import answer_question
from pmo_playbook.services.chat_history import get_history
from pmo_playbook.services.gap_reports import THANK_YOU, file_gap_report
from pmo_playbook.services.message_ratings import rate_message, remove_rating
from pmo_playbook.services.sessions import delete_session, rename_session
from pmo_playbook.web.deps import AppSettings, Conn, CurrentActor
from pmo_playbook.web.pages.chat_export import export_response
from pmo_playbook.web.pages.chat_panel import (
    CHAT_COOKIE,
    chat_context,
    message_view,
    new_session_id,
    session_ratings,
)
from pmo_playbook.web.pages.rendering import is_htmx, render
from pmo_playbook.web.pages.shell import build_shell

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=4000)]
SessionField = Annotated[str, Form(max_length=200)]
Here = Annotated[str, Form(max_length=500)]
COOKIE_MAX_AGE = 365 * 24 * 3600


def safe_here(here: str | None) -> str:
    """The page to come back to: a local path only (never another site)."""
    if here and here.startswith("/") and not here.startswith(("//", "/\\")):
        return here.split("?", 1)[0]
    return "/chat"


def remember_session(response: Response, session_id: str) -> Response:
    """Make `session_id` the visitor's current conversation (the legacy localStorage key).

    Only an ASCII id is remembered: a cookie is a latin-1 header, and an id from the query
    string may hold any character (bad UTF-8 decodes to U+FFFD), which would make the whole
    response fail. Such a session is still shown; it is just not the remembered one."""
    if not session_id.isascii():
        return response
    response.set_cookie(
        CHAT_COOKIE, session_id, max_age=COOKIE_MAX_AGE, httponly=True, samesite="lax", path="/"
    )
    return response


def panel_response(
    request: Request,
    conn: psycopg.Connection[Any],
    actor: Actor,
    settings: Settings,
    session_id: str,
    here: str,
) -> Response:
    """The re-rendered chat panel (htmx) or a redirect back to the page (plain forms)."""
    here = safe_here(here)
    if not is_htmx(request):
        response: Response = RedirectResponse(here, status_code=303)
    else:
        shell = build_shell(conn, actor, settings)
        chat = chat_context(request, conn, actor, session_id, here, shell.sops)
        response = render(request, "partials/chat_panel.html", {"chat": chat})
    return remember_session(response, session_id)


@router.get("/chat", response_model=None)
def chat_page(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    session: str | None = None,
) -> Response:
    """The chat on its own page."""
    shell = build_shell(conn, actor, settings)
    chat = chat_context(request, conn, actor, session, "/chat", shell.sops)
    response = render(request, "chat.html", {"shell": shell, "chat": chat})
    return remember_session(response, chat["session_id"]) if session else response


@router.get("/chat/panel", response_model=None)
def switch_session(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    session: str,
    here: str = "/chat",
) -> Response:
    """Switch to one of the visitor's sessions (bumps its lastActive, like the legacy UI)."""
    rename_session(conn, actor, session, {}, update_last_active=True)
    return panel_response(request, conn, actor, settings, session, here)


@router.post("/chat/ask", response_model=None)
def ask(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    message: Text,
    session_id: SessionField = "",
    here: Here = "/",
) -> Response:
    """Ask the chat (the same service as POST /api/chat) and show the updated conversation."""
    reply = answer_question(
        conn,
        actor,
        message,
        session_id or None,
        settings=settings,
        user_agent=request.headers.get("user-agent"),
        # asked on a project's dashboard (/pro/PRO-NNN): questions about that project
        project_id=here.removeprefix("/pro/") if here.startswith("/pro/PRO-") else None,
    )
    return panel_response(request, conn, actor, settings, reply.session_id, here)


@router.post("/chat/new", response_model=None)
def new_chat(
    request: Request, conn: Conn, actor: CurrentActor, settings: AppSettings, here: Here = "/"
) -> Response:
    """Start a new conversation (stored when its first question is asked)."""
    return panel_response(request, conn, actor, settings, new_session_id(), here)


@router.post("/chat/sessions/rename", response_model=None)
def rename_chat(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    session_id: SessionField,
    name: Annotated[str, Form(max_length=100)],
    current: SessionField = "",
    here: Here = "/",
) -> Response:
    """Rename one of the visitor's sessions."""
    rename_session(conn, actor, session_id, {"sessionName": name.strip()}, False)
    return panel_response(request, conn, actor, settings, current or session_id, here)


@router.post("/chat/sessions/delete", response_model=None)
def delete_chat(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    session_id: SessionField,
    current: SessionField = "",
    here: Here = "/",
) -> Response:
    """Delete one of the visitor's sessions; deleting the current one starts a new chat."""
    delete_session(conn, actor, session_id)
    keep = current if current and current != session_id else new_session_id()
    return panel_response(request, conn, actor, settings, keep, here)


def _stored_message(
    conn: psycopg.Connection[Any], actor: Actor, session_id: str, message_id: str
) -> tuple[ChatMessage, ChatMessage | None]:
    """The answer `message_id` of the visitor's session and the question before it."""
    messages = get_history(conn, actor, session_id).messages
    for index, message in enumerate(messages):
        if message.message_id == message_id:
            question = next((m for m in reversed(messages[:index]) if m.role == "user"), None)
            return message, question
    raise NotFound("Message not found", details={"sessionId": session_id, "messageId": message_id})


@router.post("/chat/rate", response_model=None)
def rate(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    session_id: SessionField,
    message_id: SessionField,
    rating: Annotated[str, Form(pattern="^(up|down|none)$")],
    here: Here = "/",
) -> Response:
    """Rate an answer 👍/👎, or undo the rating ("none")."""
    message, _ = _stored_message(conn, actor, session_id, message_id)
    if rating == "none":
        remove_rating(conn, actor, message_id, session_id)
    else:
        confidence = message.confidence
        body = {
            "messageId": message_id,
            "sessionId": session_id,
            "rating": "helpful" if rating == "up" else "not_helpful",
            "sopUsed": message.selected_sop_id,
            "confidence": DEFAULT_CONFIDENCE if confidence is None else confidence,
        }
        rate_message(conn, actor, body)
    if not is_htmx(request):
        return RedirectResponse(safe_here(here), status_code=303)
    view = message_view(message, session_ratings(conn, actor, session_id), {})
    chat = {"session_id": session_id, "here": safe_here(here)}
    return render(request, "partials/chat_rating.html", {"m": view, "chat": chat})


@router.post("/chat/gap", response_model=None)
def report_gap(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    session_id: SessionField,
    message_id: SessionField,
    comment: Annotated[str, Form(min_length=1, max_length=2000)],
    here: Here = "/",
) -> Response:
    """File a gap report about one answer of the visitor's own session."""
    answer, question = _stored_message(conn, actor, session_id, message_id)
    body = {
        "sessionId": session_id,
        "messageId": message_id,
        "userQuestion": question.content if question else "",
        "aiResponse": answer.content,
        "userComment": comment.strip(),
        "sopId": answer.selected_sop_id,
        "confidence": answer.confidence,
    }
    file_gap_report(conn, actor, body)
    if not is_htmx(request):
        return RedirectResponse(safe_here(here), status_code=303)
    return render(request, "partials/gap_thanks.html", {"message": THANK_YOU})


@router.get("/chat/export", response_model=None)
def export(conn: Conn, actor: CurrentActor, settings: AppSettings, session: str) -> Response:
    """Download the conversation as markdown, titled with the real session name (D38)."""
    history = get_history(conn, actor, session)
    if history.session is None:
        raise NotFound("Session not found", details={"sessionId": session})
    sops = {tab.sop_id: tab for tab in build_shell(conn, actor, settings).sops}
    return export_response(history.session, sops, session_ratings(conn, actor, session))
