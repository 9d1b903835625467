"""`/api/chat-history` (legacy §2.2): read a session's history, append one message, and the
misnamed PATCH that lists active sessions (D31), all scoped to the actor's own sessions (D2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from pmo_playbook.documents.chat import (
    MESSAGE_ROLES,
    ChatMessage,
    ChatSession,
    index_of_message_id,
)
from pmo_playbook.errors import BadRequest, InvalidInput
from pmo_playbook.repositories.chat_histories import ChatHistoryRepository
from pmo_playbook.services.actor import Actor
from pmo_playbook.services.sessions import check_session_id, record_turn

POST_REQUIRED = "SessionId, message, and type are required"
LAST_MESSAGE_CHARS = 100


@dataclass(frozen=True)
class History:
    """A session as its owner reads it; `session` is None when missing or not theirs."""

    session_id: str
    session: ChatSession | None

    @property
    def exists(self) -> bool:
        return self.session is not None

    @property
    def messages(self) -> list[ChatMessage]:
        return self.session.numbered_messages if self.session else []


@dataclass(frozen=True)
class PostedMessage:
    """Where `post_message` stored the message."""

    session_id: str
    message_id: str
    message_count: int


@dataclass(frozen=True)
class ActiveSessionSummary:
    """One line of the active-sessions list."""

    session_id: str
    started_at: datetime
    message_count: int
    last_message: str | None  # its first LAST_MESSAGE_CHARS characters


def get_history(conn: psycopg.Connection[Any], actor: Actor, session_id: object) -> History:
    """The actor's session (its messages with stable ids), or an empty History."""
    checked = check_session_id(session_id)
    return History(checked, ChatHistoryRepository(conn).get_owned(checked, actor.owner_key))


def _attribution_fields(attribution: dict[str, Any] | None) -> dict[str, Any]:
    if not attribution:
        return {}
    fields: dict[str, Any] = {}
    selected = attribution.get("selectedSOP")
    if isinstance(selected, dict) and selected.get("sopId") is not None:
        fields["selectedSopId"] = selected["sopId"]
    if attribution.get("confidence") is not None:
        fields["confidence"] = attribution["confidence"]
    return fields


def post_message(
    conn: psycopg.Connection[Any],
    actor: Actor,
    session_id: str | None,
    message: str | None,
    message_type: str | None,
    attribution: dict[str, Any] | None,
    user_agent: str | None,
) -> PostedMessage:
    """Append one message (creating the session)."""
    if not session_id or not message or not message_type:
        raise BadRequest(POST_REQUIRED)
    if message_type not in MESSAGE_ROLES:
        raise InvalidInput(
            f"type must be one of {', '.join(MESSAGE_ROLES)}", details={"field": "type"}
        )
    item = {"role": message_type, "content": message, **_attribution_fields(attribution)}
    turn = record_turn(conn, actor, session_id, [item], user_agent=user_agent)
    last = turn.message_ids[-1]
    position = index_of_message_id(last)
    return PostedMessage(
        session_id=turn.session_id, message_id=last, message_count=(position or 0) + 1
    )


def active_sessions(
    conn: psycopg.Connection[Any], actor: Actor, limit: int
) -> list[ActiveSessionSummary]:
    """The actor's active sessions, newest start first (legacy getActiveSessions, D2/D31)."""
    sessions = ChatHistoryRepository(conn).list_active_sessions(actor.owner_key, limit)
    out = []
    for session in sessions:
        messages = session.messages
        last = messages[-1].get("content") if messages else None
        out.append(
            ActiveSessionSummary(
                session_id=session.session_id,
                started_at=session.started_at,
                message_count=len(messages),
                last_message=last[:LAST_MESSAGE_CHARS] if isinstance(last, str) else None,
            )
        )
    return out
