"""Short session titles from the first questions (the "Recent Chats" names).

The legacy list asked gpt-4o-mini for a 3–5 word title on every listing (D5: N parallel LLM
calls per request). Here the title is made once, offline, with the legacy fallback rule, and
stored in `summary`. An LLM-backed generator can be plugged in with
`register_title_generator`; when it fails or returns nothing the offline rule is used.
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

TitleGenerator = Callable[[str], str | None]
_generator: list[TitleGenerator] = []


def register_title_generator(generator: TitleGenerator | None) -> None:
    """Use `generator(user_text)` for titles (None removes it); it may raise or return None."""
    _generator.clear()
    if generator is not None:
        _generator.append(generator)


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


def title_for(messages: Sequence[dict[str, Any]]) -> str:
    """The title of a conversation: generator when plugged in, else the offline rule."""
    if not any(m.get("role") == "user" for m in messages):
        return EMPTY_TITLE
    text = user_text(messages)
    for generator in _generator:
        try:
            generated = generator(text)
        except Exception:  # a failing title service must never break the chat or the list
            log.warning("title generator failed; using the offline title", exc_info=True)
            break
        cleaned = (generated or "").replace('"', "").replace("'", "").strip()
        if cleaned:
            return cleaned[:100]
    return fallback_title(text)
