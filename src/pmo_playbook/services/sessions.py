"""Chat sessions: record a turn, list, rename, delete, read a thread (legacy §2.3, §2.4).

Sessions belong to `actor.owner_key` (D2): only the owner lists, reads, renames, deletes or
appends; a session owned by someone else looks exactly like a missing one. Admins (and
reviewers with the proposal-approval permission) read any thread through the conversation
viewer. Until authentication gives every caller an owner key, callers without one share the
unowned sessions (the legacy behaviour).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from pydantic import ValidationError

from pmo_playbook.documents.chat import (
    SESSION_ID_MAX,
    SESSION_ID_PATTERN,
    ChatMessage,
    ChatSession,
    NewMessage,
    message_id_at,
)
from pmo_playbook.documents.common import from_iso, to_iso, utc_now
from pmo_playbook.errors import BadRequest, Forbidden, InvalidInput, NotFound, Unauthorized
from pmo_playbook.repositories.chat_histories import ChatHistoryRepository
from pmo_playbook.services.actor import Actor, Permission, Role
from pmo_playbook.services.session_titles import TitleGenerator, title_for

SESSION_NOT_FOUND = "Session not found"
_SESSION_ID = re.compile(SESSION_ID_PATTERN)
CONTEXT_MESSAGES = 4


@dataclass(frozen=True)
class RecordedTurn:
    """What `record_turn` stored: the session, the new messages' stable ids, and if it is new."""

    session_id: str
    message_ids: list[str]
    created: bool


@dataclass(frozen=True)
class SessionSummary:
    """One line of the actor's sessions list."""

    session_id: str
    name: str  # session_title: what the session is shown by
    session_name: str | None  # the name the owner gave it, if any
    summary: str  # the stored summary, or "No summary available"
    message_count: int
    started_at: datetime
    last_active: datetime
    is_active: bool  # the caller's current session


@dataclass(frozen=True)
class Thread:
    """A whole conversation for the viewer, with the highlighted message's position."""

    session: ChatSession
    title: str  # session_title
    messages: list[ChatMessage]
    highlighted: int | None


def require(actor: Actor, allowed: bool, what: str) -> None:
    """Refuse with 401 for anonymous callers and 403 for logged-in ones when not `allowed`."""
    if allowed:
        return
    if actor.is_anonymous:
        raise Unauthorized(f"Sign in to {what}")
    raise Forbidden(f"You are not allowed to {what}")


def can_triage(actor: Actor) -> bool:
    """Gap-report triage and the conversation viewer: admins and proposal approvers."""
    return actor.role == Role.ADMIN or actor.can(Permission.APPROVE_PROPOSALS)


def check_session_id(session_id: object, *, missing: str = "SessionId is required") -> str:
    """A usable session id: a non-empty string (400 when absent, 422 when malformed)."""
    if session_id is None or session_id == "":
        raise BadRequest(missing)
    if not isinstance(session_id, str):
        raise InvalidInput("sessionId must be a string", details={"field": "sessionId"})
    if not _SESSION_ID.fullmatch(session_id):
        raise InvalidInput(
            f"sessionId must be at most {SESSION_ID_MAX} characters, none a control character",
            details={"field": "sessionId"},
        )
    return session_id


def validate_messages(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages in their stored form (legacy keys), or InvalidInput naming the bad one."""
    if not messages:
        raise InvalidInput("A turn needs at least one message")
    out = []
    for index, message in enumerate(messages):
        try:
            model = NewMessage.model_validate(message)
        except ValidationError as exc:
            problem = exc.errors()[0]
            field = ".".join(str(p) for p in problem.get("loc", ()))
            raise InvalidInput(
                f"message {index}: {field}: {problem.get('msg', 'invalid')}",
                details={"index": index, "field": field},
            ) from exc
        stored = model.model_dump(exclude_none=True)
        if model.timestamp is not None:
            try:
                stored["timestamp"] = to_iso(from_iso(model.timestamp))
            except ValueError as exc:
                raise InvalidInput(
                    f"message {index}: timestamp is not an ISO-8601 date",
                    details={"index": index, "field": "timestamp"},
                ) from exc
        out.append(stored)
    return out


def record_turn(
    conn: psycopg.Connection[Any],
    actor: Actor,
    session_id: str,
    messages: Sequence[dict[str, Any]],
    *,
    user_agent: str | None = None,
    title_generator: TitleGenerator | None = None,
) -> RecordedTurn:
    """Append one turn (e.g. the question and the answer) to the actor's session atomically.

    Creates the session when missing (owned by `actor.owner_key`), keeps sopUsage and
    lastActive current (D24), and titles a new session from its first question (with
    `title_generator` when given, see session_titles.title_for). Raises
    InvalidInput for bad messages and NotFound when the session belongs to someone else."""
    session_id = check_session_id(session_id)
    stored = validate_messages(messages)
    agent = user_agent[:500] if user_agent else None
    repo = ChatHistoryRepository(conn)
    ids = repo.append_turn(session_id, actor.owner_key, stored, agent)
    created = ids[0] == message_id_at(0)
    if created:
        repo.set_summaries({session_id: title_for(stored, title_generator)})
    return RecordedTurn(session_id=session_id, message_ids=ids, created=created)


def recent_context(
    conn: psycopg.Connection[Any], actor: Actor, session_id: str, n: int = CONTEXT_MESSAGES
) -> list[dict[str, Any]]:
    """The last `n` non-system messages of the actor's own session (LLM context), oldest first.

    Empty for a new session or one that is not the actor's (never another user's text, D3)."""
    return ChatHistoryRepository(conn).recent_messages(session_id, actor.owner_key, n)


TITLE_CHARS = 60


def session_title(session: ChatSession) -> str:
    """The one name a session is shown by everywhere (chat panel, sessions list, conversation
    viewer): its name, else its summary, else its first question, else "Untitled Session"."""
    for value in (session.session_name, session.summary):
        if value and value.strip():
            return value.strip()
    for message in session.messages:
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, str) and content.strip():
            text = " ".join(content.split())
            return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"
    return "Untitled Session"


def _list_item(session: ChatSession, current_session_id: str | None) -> SessionSummary:
    return SessionSummary(
        session_id=session.session_id,
        name=session_title(session),
        session_name=session.session_name,
        summary=session.summary or "No summary available",
        message_count=len(session.messages),
        started_at=session.started_at,
        last_active=session.last_active,
        is_active=session.session_id == current_session_id,
    )


def list_sessions(
    conn: psycopg.Connection[Any], actor: Actor, limit: int, current_session_id: str | None
) -> list[SessionSummary]:
    """The actor's own sessions, most recently active first, titled (titles stored once)."""
    repo = ChatHistoryRepository(conn)
    sessions = repo.list_sessions(actor.owner_key, limit)
    titles = {
        s.session_id: title_for(s.messages)
        for s in sessions
        if not s.data.get("summary") and s.messages
    }
    repo.set_summaries(titles)
    for session in sessions:
        if session.session_id in titles:
            session.data["summary"] = titles[session.session_id]
    return [_list_item(s, current_session_id) for s in sessions]


def rename_session(
    conn: psycopg.Connection[Any],
    actor: Actor,
    session_id: object,
    changes: dict[str, Any],
    update_last_active: bool,
) -> ChatSession:
    """Set `sessionName` (when given, "" allowed) and/or bump lastActive on the actor's session."""
    checked = check_session_id(session_id)
    patch = {k: v for k, v in changes.items() if k == "sessionName"}
    bump = utc_now() if update_last_active else None
    session = ChatHistoryRepository(conn).rename(checked, actor.owner_key, patch, bump)
    if session is None:
        raise NotFound(SESSION_NOT_FOUND, details={"sessionId": checked})
    return session


def delete_session(conn: psycopg.Connection[Any], actor: Actor, session_id: object) -> None:
    """Hard-delete the actor's session (legacy); its ratings and gap reports are kept."""
    checked = check_session_id(session_id)
    if not ChatHistoryRepository(conn).delete(checked, actor.owner_key):
        raise NotFound(SESSION_NOT_FOUND, details={"sessionId": checked})


def _highlight_index(messages: list[dict[str, Any]], highlight: str | None) -> int | None:
    """Which message a highlight id designates: its stable id, or (legacy client ids, epoch
    milliseconds) the last assistant answer given at or before that moment."""
    if not highlight:
        return None
    for index, message in enumerate(messages):
        if message["messageId"] == highlight:
            return index
    if not highlight.isdigit() or len(highlight) > 15:
        return None
    moment = int(highlight)
    found = None
    for index, message in enumerate(messages):
        try:
            stamp = from_iso(str(message.get("timestamp")))
        except ValueError:
            continue
        if message.get("role") == "assistant" and stamp.timestamp() * 1000 <= moment:
            found = index
    return found


def get_thread(
    conn: psycopg.Connection[Any], actor: Actor, session_id: str, highlight: str | None
) -> Thread:
    """The conversation viewer's thread (with `sessionId`, D30; stable ids, D28)."""
    repo = ChatHistoryRepository(conn)
    session = (
        repo.get_session(session_id)
        if can_triage(actor)
        else repo.get_owned(session_id, actor.owner_key)
    )
    if session is None:
        raise NotFound(SESSION_NOT_FOUND, details={"sessionId": session_id})
    messages = session.numbered_messages
    marked = _highlight_index([m.document for m in messages], highlight)
    return Thread(session, session_title(session), messages, marked)
