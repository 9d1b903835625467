"""Export a conversation as a markdown file (legacy §4.2 "Export", with D38 fixed).

The title is the session's real name (or its summary; `Chat Session <id>` only when it has
neither). Times are written in UTC: the server does not know the reader's time zone. Speakers
and ratings are words, not the legacy 👤/🤖/👍/👎 emoji, which show as empty boxes where no emoji
font is installed (the pages use inline SVG icons; a Markdown file read as text has no icons).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi.responses import Response

from pmo_playbook.documents.chat import ChatMessage, ChatSession
from pmo_playbook.web.pages.rendering import as_datetime
from pmo_playbook.web.pages.shell import SopTab

_UNSAFE = re.compile(r"[^a-zA-Z0-9]")


def export_title(session: ChatSession) -> str:
    """The conversation's title."""
    name = session.session_name or session.summary
    return name if name else f"Chat Session {session.session_id}"


def _when(value: Any) -> str:
    moment = as_datetime(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "unknown time"


def _attribution(
    message: ChatMessage, sops: dict[str, SopTab], ratings: dict[str, str]
) -> list[str]:
    sop_id = message.selected_sop_id
    if not sop_id:
        return []
    sop = sops.get(sop_id)
    title = (sop.title if sop else None) or "Unknown SOP"
    lines = [f"> **Source:** {sop_id} - {title} (Phase {sop.phase if sop else '?'})"]
    confidence = message.confidence
    if confidence is not None:
        lines.append(f"> **Confidence:** {round(float(confidence) * 100)}%")
    rating = ratings.get(message.message_id)
    if rating:
        lines.append("> **Feedback:** " + ("Helpful" if rating == "up" else "Not helpful"))
    return ["", *lines]


def export_markdown(
    session: ChatSession,
    sops: dict[str, SopTab],
    ratings: dict[str, str],
    now: datetime | None = None,
) -> str:
    """The markdown text of a conversation."""
    today = (now or datetime.now(UTC)).strftime("%Y-%m-%d")
    messages = [m for m in session.numbered_messages if m.role != "system"]
    parts = [
        f"# {export_title(session)}",
        "",
        f"**Date:** {today}",
        f"**Session ID:** {session.session_id}",
        f"**Messages:** {len(messages)}",
        "",
        "---",
    ]
    for message in messages:
        who = "User" if message.role == "user" else "Assistant"
        parts += ["", f"### {who} ({_when(message.timestamp)})", ""]
        parts.append(message.content)
        parts += _attribution(message, sops, ratings)
        parts += ["", "---"]
    return "\n".join(parts) + "\n"


def export_filename(session: ChatSession, now: datetime | None = None) -> str:
    """`<title with non-alphanumerics as _>_<YYYY-MM-DD>.md` (the legacy name)."""
    today = (now or datetime.now(UTC)).strftime("%Y-%m-%d")
    return f"{_UNSAFE.sub('_', export_title(session))}_{today}.md"


def export_response(
    session: ChatSession, sops: dict[str, SopTab], ratings: dict[str, str]
) -> Response:
    """The download response."""
    return Response(
        export_markdown(session, sops, ratings),
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{export_filename(session)}"'},
    )
