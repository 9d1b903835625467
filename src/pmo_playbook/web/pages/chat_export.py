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

from pmo_playbook.web.pages.rendering import as_datetime

_UNSAFE = re.compile(r"[^a-zA-Z0-9]")


def export_title(history: dict[str, Any]) -> str:
    """The conversation's title."""
    name = history.get("sessionName") or history.get("summary")
    return str(name) if name else f"Chat Session {history.get('sessionId')}"


def _when(value: Any) -> str:
    moment = as_datetime(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "unknown time"


def _attribution(
    message: dict[str, Any], sops: dict[str, dict[str, Any]], ratings: dict[str, str]
) -> list[str]:
    sop_id = message.get("selectedSopId")
    if not sop_id:
        return []
    sop = sops.get(str(sop_id), {})
    title = sop.get("title") or "Unknown SOP"
    lines = [f"> **Source:** {sop_id} - {title} (Phase {sop.get('phase', '?')})"]
    confidence = message.get("confidence")
    if isinstance(confidence, int | float):
        lines.append(f"> **Confidence:** {round(float(confidence) * 100)}%")
    rating = ratings.get(str(message.get("messageId")))
    if rating:
        lines.append("> **Feedback:** " + ("Helpful" if rating == "up" else "Not helpful"))
    return ["", *lines]


def export_markdown(
    history: dict[str, Any],
    sops: dict[str, dict[str, Any]],
    ratings: dict[str, str],
    now: datetime | None = None,
) -> str:
    """The markdown text of a conversation."""
    today = (now or datetime.now(UTC)).strftime("%Y-%m-%d")
    messages = [m for m in history.get("messages", []) if m.get("role") != "system"]
    parts = [
        f"# {export_title(history)}",
        "",
        f"**Date:** {today}",
        f"**Session ID:** {history.get('sessionId')}",
        f"**Messages:** {len(messages)}",
        "",
        "---",
    ]
    for message in messages:
        who = "User" if message.get("role") == "user" else "Assistant"
        parts += ["", f"### {who} ({_when(message.get('timestamp'))})", ""]
        parts.append(str(message.get("content") or ""))
        parts += _attribution(message, sops, ratings)
        parts += ["", "---"]
    return "\n".join(parts) + "\n"


def export_filename(history: dict[str, Any], now: datetime | None = None) -> str:
    """`<title with non-alphanumerics as _>_<YYYY-MM-DD>.md` (the legacy name)."""
    today = (now or datetime.now(UTC)).strftime("%Y-%m-%d")
    return f"{_UNSAFE.sub('_', export_title(history))}_{today}.md"


def export_response(
    history: dict[str, Any], sops: dict[str, dict[str, Any]], ratings: dict[str, str]
) -> Response:
    """The download response."""
    return Response(
        export_markdown(history, sops, ratings),
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{export_filename(history)}"'},
    )
