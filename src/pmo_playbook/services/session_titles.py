"""Short session titles from the first questions (the "Recent Chats" names).

The legacy list asked gpt-4o-mini for a 3–5 word title on every listing (D5: N parallel LLM
calls per request). Here the title is made once, when the session is created, and stored in
`summary`: by the caller's generator when one is given (the chat passes the LLM's one-line
summary when a model is configured), else, or when the generator fails or returns nothing,
by the legacy fallback rule. Listing never calls a model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

log = logging.getLogger(__name__)

EMPTY_TITLE = "Empty conversation"
BLANK_TITLE = "Conversation"
MAX_TITLE_CHARS = 30
TITLE_WORDS = 5

MAX_GENERATED_CHARS = 100

TitleGenerator = Callable[[str], str | None]


def user_text(messages: Sequence[dict[str, Any]]) -> str:
    """The first three user messages joined with spaces (the legacy title input)."""
    texts = [
        m["content"]
        for m in messages
        if m.get("role") == "user" and isinstance(m.get("content"), str)
    ]
    return " ".join(texts[:3])


def fallback_title(text: str) -> str:
    """Legacy fallback: the first 5 words, cut to 30 characters plus "..." when longer."""
    words = " ".join(text.split()[:TITLE_WORDS])
    if not words:
        return BLANK_TITLE
    return words[:MAX_TITLE_CHARS] + "..." if len(words) > MAX_TITLE_CHARS else words


def title_for(messages: Sequence[dict[str, Any]], generator: TitleGenerator | None = None) -> str:
    """The title of a conversation: `generator(user text)` when given and usable, else the
    offline rule. A generator that raises or returns nothing never breaks the chat."""
    if not any(m.get("role") == "user" for m in messages):
        return EMPTY_TITLE
    text = user_text(messages)
    if generator is not None:
        try:
            generated = generator(text)
        except Exception as exc:  # a failing title service must never break the chat
            log.warning("title generator failed (%s); using the offline title", exc)
            generated = None
        cleaned = " ".join((generated or "").replace('"', "").split()).strip(" .")
        if cleaned:
            return cleaned[:MAX_GENERATED_CHARS]
    return fallback_title(text)
