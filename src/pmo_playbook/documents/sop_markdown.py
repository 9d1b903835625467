"""Markdown building blocks for the SOP parser: the heading tree, lists, paragraphs, tables.

Only the subset of CommonMark/GFM that SOPs use: ATX headings, `-`/`*`/`+` and numbered lists
(indented items included), GFM pipe tables, paragraphs. Fenced code blocks are skipped so a
`#` inside code is never taken for a heading.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(.+?)\s*$")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_SEPARATOR_CELL = re.compile(r"^\s*:?-{3,}:?\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_BOLD_ROLE = re.compile(r"^\s*(?:[-*+]\s+)?\*\*(.+?)\*\*\s*:?\s*(.*)$")


@dataclass
class Section:
    """One heading with the lines under it (children excluded) and its sub-sections."""

    title: str
    level: int
    lines: list[str] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)

    def walk(self) -> Iterator[Section]:
        """This section, then every descendant depth-first."""
        yield self
        for child in self.children:
            yield from child.walk()


def build_sections(markdown: str) -> list[Section]:
    """The heading tree: each heading goes under the nearest earlier heading of lower level.
    Text before the first heading goes to an untitled level-0 root."""
    preamble = Section(title="", level=0)
    roots: list[Section] = []
    stack: list[Section] = []
    in_fence = False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            (stack[-1] if stack else preamble).lines.append(line)
            continue
        section = Section(title=match.group(2).strip(), level=len(match.group(1)))
        while stack and stack[-1].level >= section.level:
            stack.pop()
        (stack[-1].children if stack else roots).append(section)
        stack.append(section)
    if any(line.strip() for line in preamble.lines):
        roots.insert(0, preamble)
    return roots


def is_table_row(line: str) -> bool:
    return bool(_TABLE_ROW.match(line))


def list_items(lines: list[str]) -> list[str]:
    """Bullet and numbered list items, indented ones included, trimmed; table rows excluded."""
    items: list[str] = []
    in_fence = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        match = None if in_fence or is_table_row(line) else _LIST_ITEM.match(line)
        if match and match.group(1).strip():
            items.append(match.group(1).strip())
    return items


def paragraphs(lines: list[str]) -> list[str]:
    """Prose paragraphs (blank-line separated), without list items, tables and code."""
    found: list[str] = []
    current: list[str] = []
    in_fence = False
    for line in [*lines, ""]:
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        prose = not in_fence and line.strip() and not is_table_row(line)
        if prose and not _LIST_ITEM.match(line):
            current.append(line.strip())
            continue
        if current:
            found.append(" ".join(current))
            current = []
    return found


def split_row(line: str) -> list[str]:
    """Cells of a pipe-table row (escaped `\\|` kept inside a cell)."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    cells = re.split(r"(?<!\\)\|", body)
    return [c.replace("\\|", "|").strip() for c in cells]


def tables(lines: list[str]) -> list[tuple[list[str], list[list[str]]]]:
    """GFM tables as (header cells, body rows); a table needs its `---` separator row."""
    found: list[tuple[list[str], list[list[str]]]] = []
    block: list[str] = []
    for line in [*lines, ""]:
        if is_table_row(line):
            block.append(line)
            continue
        if len(block) >= 2 and all(_TABLE_SEPARATOR_CELL.match(c) for c in split_row(block[1])):
            rows = [split_row(r) for r in block[2:]]
            found.append((split_row(block[0]), [r for r in rows if any(r)]))
        block = []
    return found


def roles_from_lines(lines: list[str]) -> list[tuple[str, list[str]]]:
    """Roles in a roles section: table rows (role column, then responsibility cells), and
    `**Role**: duty` / `**Role**` lines followed by list items."""
    roles: list[tuple[str, list[str]]] = []
    for header, rows in tables(lines):
        role_col = next((i for i, h in enumerate(header) if "role" in h.lower()), 0)
        for row in rows:
            if role_col >= len(row) or not row[role_col]:
                continue
            duties = [c for i, c in enumerate(row) if i != role_col and c]
            roles.append((_plain(row[role_col]), duties))
    current: tuple[str, list[str]] | None = None
    for line in lines:
        if is_table_row(line):
            continue
        bold = _BOLD_ROLE.match(line)
        if bold:
            current = (_plain(bold.group(1)).rstrip(":"), [])
            roles.append(current)
            if bold.group(2).strip():
                current[1].append(bold.group(2).strip())
            continue
        item = _LIST_ITEM.match(line)
        if item and current is not None:
            current[1].append(item.group(1).strip())
    return roles


def _plain(text: str) -> str:
    return text.replace("**", "").replace("__", "").strip()


def section_titles(markdown: str, min_level: int = 2) -> list[str]:
    """The titles of the headings at `min_level` or deeper, in order (outside code fences)."""
    titles: list[str] = []
    fenced = False
    for line in markdown.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else _HEADING.match(line)
        if match and len(match.group(1)) >= min_level:
            titles.append(match.group(2).strip())
    return titles


def section_body(markdown: str, name: str) -> str | None:
    """The text under the heading `name` (up to the next heading of its level or higher)."""
    span = find_section(markdown, name)
    if span is None:
        return None
    return "\n".join(markdown.split("\n")[span[0] : span[1]]).strip("\n")


def normalize_newlines(text: str) -> str:
    """LF line endings: browsers submit textareas with CRLF, stored SOPs use LF (a CRLF save
    made every line of the version diff look removed and re-added)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def find_section(markdown: str, name: str) -> tuple[int, int] | None:
    """Line span [start, end) of the body of the section titled `name` (case-insensitive;
    exact title first, then a title containing it). The body ends at the next heading of the
    same or a higher level."""
    lines = markdown.split("\n")
    headings = [(i, _HEADING.match(line)) for i, line in enumerate(lines)]
    marks = [(i, len(m.group(1)), m.group(2).strip().lower()) for i, m in headings if m]
    wanted = name.strip().lower().lstrip("#").strip()
    chosen = next((h for h in marks if h[2] == wanted), None)
    chosen = chosen or next((h for h in marks if wanted and wanted in h[2]), None)
    if chosen is None:
        return None
    start, level, _ = chosen
    end = next((i for i, lvl, _ in marks if i > start and lvl <= level), len(lines))
    return start + 1, end
