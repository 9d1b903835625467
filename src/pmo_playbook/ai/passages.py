"""Split a SOP into the passages the chat searches and quotes (no knowledge of any library).

A SOP is read from its markdown (the human SOP; an agent SOP without one is written out as
markdown from its sections first). Three kinds of passage:
- `outline`: the title and every heading (what the SOP is about, in its own words);
- `section`: one per heading with text of its own, the heading path plus that text;
- `unit`: one per sentence, list item or table row, in document order: what answers quote.
Inline markup is removed so quotes read as the rendered text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pmo_playbook.documents.sop_markdown import build_sections, is_table_row, split_row

OUTLINE, SECTION, UNIT = "outline", "section", "unit"
MAX_SECTION_CHARS = 2000
_LIST_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d{1,3}[.)])\s+(.+?)\s*$")
_SEPARATOR_CELL = re.compile(r"^\s*:?-{3,}:?\s*$")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_CHECKBOX = re.compile(r"^\[[ xX]\]\s+")
# A sentence ends at . ! or ? followed by space and a capital, digit or quote; common
# abbreviations ("e.g.", "i.e.", "etc.") do not end one.
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
SECTION_HEADINGS = {
    "objectives": "Objectives",
    "keyActivities": "Key Activities",
    "deliverables": "Deliverables",
    "toolsTemplates": "Tools & Templates",
    "bestPractices": "Best Practices",
    "commonPitfalls": "Common Pitfalls",
}


@dataclass(frozen=True)
class Passage:
    """One searchable piece of a SOP."""

    kind: str  # OUTLINE | SECTION | UNIT
    position: int  # document order within its kind
    section: str  # heading path shown in citations ("" for text before any heading)
    body: str  # plain text, verbatim apart from inline markup


def plain(text: str) -> str:
    """Inline markdown removed: links keep their text, emphasis and code marks go."""
    text = _LINK.sub(r"\1", text)
    for _ in range(2):  # nested emphasis (**_x_**)
        text = _EMPHASIS.sub(r"\2", text)
    text = _TAG.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


def sentences(paragraph: str) -> list[str]:
    """The sentences of a paragraph of plain text."""
    return [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]


def _units_of(lines: list[str]) -> list[str]:
    """Sentences of paragraphs, list items and table rows of one section's own lines."""
    units: list[str] = []
    paragraph: list[str] = []
    header: list[str] | None = None

    def flush() -> None:
        if paragraph:
            units.extend(sentences(plain(" ".join(paragraph))))
            paragraph.clear()

    for line in lines:
        if not line.strip() or line.strip().startswith(("```", "~~~")):
            flush()
            header = None
            continue
        if is_table_row(line):
            flush()
            cells = [plain(c) for c in split_row(line)]
            if all(_SEPARATOR_CELL.match(c) or not c for c in split_row(line)):
                continue
            if header is None:
                header = cells
                continue
            units.append(_row_text(header, cells))
            continue
        item = _LIST_ITEM.match(line)
        if item:
            flush()
            text = plain(_CHECKBOX.sub("", item.group(2)))
            if text:
                units.append(text)
            continue
        if line.lstrip().startswith(">"):
            line = line.lstrip()[1:]
        paragraph.append(line.strip())
    flush()
    return [u for u in units if re.search(r"[A-Za-z]", u)]


def _row_text(header: list[str], cells: list[str]) -> str:
    """A table row as one line: `A: B` for two columns, else `Header: cell; …`."""
    if len(cells) == 2 and cells[0] and cells[1]:
        return f"{cells[0]}: {cells[1]}"
    pairs = [f"{h}: {c}" if h else c for h, c in zip(header, cells, strict=False) if c]
    return "; ".join(pairs)


def split(markdown: str, title: str) -> list[Passage]:
    """Every passage of one SOP's markdown, in document order."""
    roots = build_sections(markdown)
    out: list[Passage] = []
    headings: list[str] = []
    counters = {SECTION: 0, UNIT: 0}

    def visit(node: Any, path: list[str]) -> None:
        here = path + ([plain(node.title)] if node.level >= 2 and node.title else [])
        label = " › ".join(here[-2:])
        if node.level >= 2 and node.title:
            headings.append(plain(node.title))
        units = _units_of(node.lines)
        if units:
            body = " ".join(u if u[-1] in ".!?:;" else f"{u};" for u in units)
            body = body[:MAX_SECTION_CHARS]
            out.append(Passage(SECTION, counters[SECTION], label, body))
            counters[SECTION] += 1
            for unit in units:
                out.append(Passage(UNIT, counters[UNIT], label, unit))
                counters[UNIT] += 1
        for child in node.children:
            visit(child, here)

    for root in roots:
        visit(root, [])
    outline = "; ".join(dict.fromkeys(h for h in headings if h))
    out.insert(0, Passage(OUTLINE, 0, "", f"{title}. {outline}".strip(" .")))
    return out


def markdown_of_agent(data: dict[str, Any], sop_id: str) -> str:
    """An agent SOP's structured sections written out as markdown (SOPs with no human text)."""
    title = str(data.get("title") or sop_id)
    lines = [f"# {title}", ""]
    summary = data.get("description") or data.get("summary")
    if isinstance(summary, str) and summary.strip():
        lines += ["## Overview", summary.strip(), ""]
    sections = data.get("sections") if isinstance(data.get("sections"), dict) else {}
    assert isinstance(sections, dict)
    for key, heading in SECTION_HEADINGS.items():
        items = [i for i in sections.get(key) or [] if isinstance(i, str) and i.strip()]
        if items:
            lines += [f"## {heading}", *(f"- {i.strip()}" for i in items), ""]
    roles = [r for r in sections.get("rolesResponsibilities") or [] if isinstance(r, dict)]
    if roles:
        lines.append("## Roles and Responsibilities")
        for role in roles:
            duties = [d for d in role.get("responsibilities") or [] if isinstance(d, str)]
            lines.append(f"- {role.get('role', '')}: {'; '.join(duties)}".rstrip(": "))
        lines.append("")
    return "\n".join(lines)
