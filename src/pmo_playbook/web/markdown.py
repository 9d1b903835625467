"""Markdown → safe HTML on the server (D40): CommonMark + GFM tables and strikethrough.

Raw HTML is disabled (it is shown as text), link targets go through markdown-it's URL
validation (no `javascript:`/`vbscript:`/`data:` except images), and every heading gets a
stable `id` (its slug) so that chat citations can link to `/sop/{id}#<slug>`. The result is
wrapped in `Markup` so Jinja's autoescape does not escape it a second time.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markupsafe import Markup

_NOT_SLUG = re.compile(r"[^a-z0-9\s-]")
_SPACES = re.compile(r"[\s-]+")


def slugify(text: str) -> str:
    """The anchor of a heading: lower case ASCII words joined by single hyphens.

    "Roles and Responsibilities" → "roles-and-responsibilities", "Tools & Templates" →
    "tools-templates". Empty or symbol-only text gives "section"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = _NOT_SLUG.sub("", ascii_text.lower())
    slug = _SPACES.sub("-", cleaned).strip("-")
    return slug or "section"


def _heading_ids(state: StateCore) -> None:
    """Core rule: give each heading an `id` from its text (unique within the document) and
    shift its level by `env["heading_offset"]` (capped at h6) so embedded markdown fits the
    page's heading order. `env["heading_ids"] = False` leaves ids out (chat answers must not
    steal the SOP's anchors)."""
    offset = int(state.env.get("heading_offset", 0))
    with_ids = bool(state.env.get("heading_ids", True))
    seen: dict[str, int] = {}
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type not in ("heading_open", "heading_close"):
            continue
        if offset:
            token.tag = f"h{min(6, int(token.tag[1]) + offset)}"
        if token.type == "heading_close" or not with_ids or index + 1 >= len(tokens):
            continue
        base = slugify(tokens[index + 1].content)
        count = seen.get(base, 0)
        seen[base] = count + 1
        token.attrSet("id", base if count == 0 else f"{base}-{count}")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.core.ruler.push("heading_ids", _heading_ids)
    return md


def render_markdown(
    text: str | None, *, heading_offset: int = 0, heading_ids: bool = True
) -> Markup:
    """Safe HTML for markdown `text` (None or empty gives empty markup).

    `heading_offset` demotes headings (1: `#` becomes <h2>); `heading_ids` adds anchors."""
    if not text:
        return Markup("")
    env = {"heading_offset": heading_offset, "heading_ids": heading_ids}
    html = _parser().render(text, env)
    # markdown-it escapes every text node and refuses raw HTML, so this string is safe.
    return Markup(html)  # noqa: S704


def heading_slugs(text: str | None) -> list[tuple[str, str]]:
    """(heading text, anchor) for every heading of `text`, in order (for tables of contents
    and for matching a citation's section to its anchor)."""
    if not text:
        return []
    out: list[tuple[str, str]] = []
    env: dict[str, object] = {}
    tokens = _parser().parse(text, env)
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and index + 1 < len(tokens):
            out.append((tokens[index + 1].content, str(token.attrGet("id") or "")))
    return out
