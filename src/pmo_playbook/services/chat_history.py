"""`/api/chat-history` (legacy §2.2): read a session's history, append one message, and the
misnamed PATCH that lists active sessions (D31), all scoped to the actor's own sessions (D2)."""

from __future__ import annotations

from typing import Any

import psycopg

from pmo_playbook.documents.chat import MESSAGE_ROLES, index_of_message_id, message_with_id
from pmo_playbook.documents.common import to_iso
from pmo_playbook.errors import BadRequest, InvalidInput
from pmo_playbook.repositories.chat_histories import ChatHistoryRepository
from pmo_playbook.services.actor import Actor
from pmo_playbook.services.sessions import check_session_id, record_turn

POST_REQUIRED = "SessionId, message, and type are required"
LAST_MESSAGE_CHARS = 100


def get_history(conn: psycopg.Connection[Any], actor: Actor, session_id: object) -> dict[str, Any]:
    """The actor's session with stable message ids; `exists:false` when missing or not theirs."""
    checked = check_session_id(session_id)
    session = ChatHistoryRepository(conn).get_owned(checked, actor.owner_key)
    if session is None:
        return {"messages": [], "sessionId": checked, "exists": False}
    return {
        "messages": [message_with_id(m, i) for i, m in enumerate(session.messages)],
        "sessionId": checked,
        "sessionName": session.data.get("sessionName"),
        "summary": session.data.get("summary"),
        "sopUsage": session.data.get("sopUsage") or [],
        "startedAt": to_iso(session.started_at),
        "lastActive": to_iso(session.last_active),
        "exists": True,
    }


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
) -> dict[str, Any]:
    """Append one message (creating the session); `{success, messageCount, messageId}`."""
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
    return {
        "success": True,
        "messageCount": (position or 0) + 1,
        "messageId": last,
        "sessionId": turn.session_id,
    }


def active_sessions(
    conn: psycopg.Connection[Any], actor: Actor, limit: int
) -> list[dict[str, Any]]:
    """The actor's active sessions, newest start first (legacy getActiveSessions, D2/D31)."""
    sessions = ChatHistoryRepository(conn).list_active_sessions(actor.owner_key, limit)
    out = []
    for session in sessions:
        messages = session.messages
        last = messages[-1].get("content") if messages else None
        out.append(
            {
                "sessionId": session.session_id,
                "startedAt": to_iso(session.started_at),
                "messageCount": len(messages),
                "lastMessage": last[:LAST_MESSAGE_CHARS] if isinstance(last, str) else None,
            }
        )
    return out
