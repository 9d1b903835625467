"""The legacy JSON of chat sessions (`/api/chat-history`, `/api/sessions`)."""

from __future__ import annotations

from typing import Any

from pmo_playbook.documents.chat import ChatSession
from pmo_playbook.documents.common import to_iso
from pmo_playbook.services.chat_history import ActiveSessionSummary, History, PostedMessage
from pmo_playbook.services.sessions import SessionSummary, Thread


def history_json(history: History) -> dict[str, Any]:
    """GET /api/chat-history: the stored messages with their ids, or `exists: false`."""
    session = history.session
    if session is None:
        return {"messages": [], "sessionId": history.session_id, "exists": False}
    return {
        "messages": [m.document for m in history.messages],
        "sessionId": history.session_id,
        "sessionName": session.data.get("sessionName"),
        "summary": session.data.get("summary"),
        "sopUsage": session.data.get("sopUsage") or [],
        "startedAt": to_iso(session.started_at),
        "lastActive": to_iso(session.last_active),
        "exists": True,
    }


def posted_json(posted: PostedMessage) -> dict[str, Any]:
    """POST /api/chat-history."""
    return {
        "success": True,
        "messageCount": posted.message_count,
        "messageId": posted.message_id,
        "sessionId": posted.session_id,
    }


def active_session_json(item: ActiveSessionSummary) -> dict[str, Any]:
    """One entry of PATCH /api/chat-history."""
    return {
        "sessionId": item.session_id,
        "startedAt": to_iso(item.started_at),
        "messageCount": item.message_count,
        "lastMessage": item.last_message,
    }


def session_summary_json(item: SessionSummary) -> dict[str, Any]:
    """One entry of GET /api/sessions."""
    return {
        "sessionId": item.session_id,
        "name": item.name,
        "sessionName": item.session_name,
        "summary": item.summary,
        "messageCount": item.message_count,
        "startedAt": to_iso(item.started_at),
        "lastActive": to_iso(item.last_active),
        "isActive": item.is_active,
    }


def renamed_json(session: ChatSession) -> dict[str, Any]:
    """The `session` of PATCH /api/sessions."""
    return {
        "sessionId": session.session_id,
        "sessionName": session.data.get("sessionName"),
        "lastActive": to_iso(session.last_active),
    }


def thread_json(thread: Thread) -> dict[str, Any]:
    """GET /api/sessions/{id}/thread (`sessionId` included, D30; stable ids, D28)."""
    session = thread.session
    return {
        "sessionId": session.session_id,
        "sessionName": thread.title,
        "summary": session.data.get("summary"),
        "startedAt": to_iso(session.started_at),
        "lastActive": to_iso(session.last_active),
        "messageCount": len(thread.messages),
        "messages": [
            {
                "id": m.message_id,
                "messageId": m.message_id,
                "role": m.document.get("role"),
                "content": m.document.get("content"),
                "timestamp": m.document.get("timestamp"),
                "selectedSopId": m.document.get("selectedSopId"),
                "confidence": m.document.get("confidence"),
                "isHighlighted": index == thread.highlighted,
            }
            for index, m in enumerate(thread.messages)
        ],
    }
