"""The chat panel's view model (SOP pages, project pages and /chat).

The current conversation is the `pmo_chat_session` cookie (the server-side counterpart of the
legacy `localStorage['pmo-chat-session']`), or `?session=` when the visitor switches, else the
visitor's most recent session, else a fresh id. Only the visitor's own sessions are listed or
shown (the services scope them by `actor.owner_key`).
"""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from fastapi import Request

from pmo_playbook.documents.chat import ChatMessage, Citation
from pmo_playbook.errors import PmoError
from pmo_playbook.services.actor import Actor
from pmo_playbook.services.chat_history import History, get_history
from pmo_playbook.services.message_ratings import session_ratings as read_ratings
from pmo_playbook.services.sessions import SessionSummary, list_sessions, session_title
from pmo_playbook.services.sops import get_human_sop
from pmo_playbook.web.markdown import heading_slugs, slugify
from pmo_playbook.web.pages.shell import SopTab

CHAT_COOKIE = "pmo_chat_session"
RECENT_LIMIT = 20
SAMPLE_QUESTIONS = (
    "How do I create a project charter?",
    "What is needed for project closure?",
    "How should I manage project risks?",
)
_BASE36 = string.digits + string.ascii_lowercase


class Anchors:
    """Section heading → anchor of a SOP's rendered markdown, loaded once per SOP per request."""

    def __init__(self, conn: psycopg.Connection[Any], actor: Actor) -> None:
        self.conn = conn
        self.actor = actor
        self.cache: dict[str, list[str]] = {}

    def _slugs(self, sop_id: str) -> list[str]:
        if sop_id not in self.cache:
            try:
                markdown = get_human_sop(self.conn, self.actor, sop_id).markdown
            except PmoError:
                markdown = ""
            self.cache[sop_id] = [slug for _, slug in heading_slugs(markdown)]
        return self.cache[sop_id]

    def anchor(self, sop_id: str, section: str) -> str | None:
        """The anchor of `section` in the SOP ("Objectives" finds "## Objective"), if any."""
        wanted = slugify(section)
        slugs = self._slugs(sop_id)
        for slug in slugs:
            if slug == wanted or slug.rstrip("s") == wanted.rstrip("s"):
                return slug
        return None


def citation_links(citations: list[Citation], anchors: Anchors | None) -> list[dict[str, str]]:
    """Citations as links to the cited SOP section (`/sop/SOP-001#key-activities`)."""
    out: list[dict[str, str]] = []
    for item in citations:
        sop_id, section, quote = item.sop_id, item.section, item.quote
        anchor = anchors.anchor(sop_id, section) if anchors and section else None
        href = f"/sop/{sop_id}" + (f"#{anchor}" if anchor else "")
        short = quote if len(quote) <= 120 else quote[:117] + "…"
        label = f"{sop_id} › {section}" + (f": “{short}”" if short else "")
        out.append({"href": href, "label": label})
    return out


def new_session_id() -> str:
    """A fresh id in the legacy browser format `session-<ms>-<9 base36>`."""
    tail = "".join(secrets.choice(_BASE36) for _ in range(9))
    return f"session-{int(time.time() * 1000)}-{tail}"


def current_session_id(
    request: Request, requested: str | None, sessions: list[SessionSummary]
) -> str:
    """The conversation to show: the requested one, the cookie's, the latest, or a new id."""
    if requested:
        return requested
    cookie = request.cookies.get(CHAT_COOKIE)
    if cookie:
        return cookie
    if sessions:
        return sessions[0].session_id
    return new_session_id()


@dataclass(frozen=True)
class MessageView:
    """One bubble of the chat panel."""

    message_id: str
    role: str
    content: str
    timestamp: str | None
    sop_id: str | None
    sop_title: str | None
    phase: Any
    confidence: float | None
    citations: list[dict[str, str]]
    rating: str | None  # "up", "down" or None


def message_view(
    message: ChatMessage,
    ratings: dict[str, str],
    sop_index: dict[str, SopTab],
    anchors: Anchors | None = None,
) -> MessageView:
    """One bubble: role, markdown text, time, and for answers the attribution and rating.

    The SOP title and phase come from the current SOP list (never a placeholder, D29)."""
    sop_id = message.selected_sop_id
    sop = sop_index.get(sop_id) if sop_id else None
    return MessageView(
        message_id=message.message_id,
        role=message.role or "assistant",
        content=message.content,
        timestamp=message.timestamp,
        sop_id=sop_id,
        sop_title=(sop.title if sop else None) or message.sop_title,
        phase=sop.phase if sop else None,
        confidence=message.confidence,
        citations=citation_links(message.citations, anchors),
        rating=ratings.get(message.message_id),
    )


def chat_context(
    request: Request,
    conn: psycopg.Connection[Any],
    actor: Actor,
    requested: str | None,
    here: str,
    sop_tabs: list[SopTab],
) -> dict[str, Any]:
    """Everything the chat panel template needs."""
    listed = list_sessions(conn, actor, RECENT_LIMIT, None)
    session_id = current_session_id(request, requested, listed)
    sessions = [replace(s, is_active=s.session_id == session_id) for s in listed]
    history = History(session_id, None)
    try:
        history = get_history(conn, actor, session_id)
    except PmoError:
        session_id = new_session_id()
    ratings = session_ratings(conn, actor, session_id) if history.exists else {}
    sop_index = {tab.sop_id: tab for tab in sop_tabs}
    anchors = Anchors(conn, actor)
    messages = [message_view(m, ratings, sop_index, anchors) for m in history.messages]
    name = session_title(history.session) if history.session else None
    return {
        "session_id": session_id,
        "session_name": name,
        "sessions": sessions,
        "messages": [m for m in messages if m.role != "system"],
        "samples": SAMPLE_QUESTIONS,
        "here": here,
    }


def session_ratings(conn: psycopg.Connection[Any], actor: Actor, session_id: str) -> dict[str, str]:
    """messageId → "up"/"down" for the session's rated answers (read back from the service,
    so a rating survives a reload, D28)."""
    out: dict[str, str] = {}
    for rating in read_ratings(conn, actor, session_id):
        out[rating.message_id] = "up" if rating.rating == "helpful" else "down"
    return out
