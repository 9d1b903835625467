"""Derive the searchable passages of an agent SOP document (legacy-system.md §1.2).

One passage per list item (an activity, a deliverable, a role with its responsibilities, ...):
items are what the answers quote and cite. The SOP as a whole gets one weighted document:
A = title, B = section headings and keywords, C = section text, D = summary and description.
(The parser derives keywords from the body: ranking them as high as the title would count body
words twice.)
Every text is followed by its PM concept tokens (see `thesaurus`) in the same weight class.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pmo_playbook.ai.thesaurus import expand

SECTION_HEADINGS: dict[str, str] = {
    "objectives": "Objectives",
    "keyActivities": "Key Activities",
    "deliverables": "Deliverables",
    "rolesResponsibilities": "Roles and Responsibilities",
    "toolsTemplates": "Tools & Templates",
    "bestPractices": "Best Practices",
    "commonPitfalls": "Common Pitfalls",
}
OVERVIEW = "overview"
_WORD = re.compile(r"[a-z][a-z0-9]+")


@dataclass(frozen=True)
class Passage:
    """One quotable unit of a SOP."""

    section_key: str  # a key of SECTION_HEADINGS, or "overview" for summary/description
    position: int
    heading: str
    body: str


@dataclass(frozen=True)
class SopDocument:
    """What the index stores for one agent SOP."""

    sop_id: str
    title: str
    phase: int
    weight_a: str
    weight_b: str
    weight_c: str
    weight_d: str
    passages: tuple[Passage, ...]
    vocabulary: tuple[str, ...]


def _strings(value: Any) -> list[str]:
    """The non-empty trimmed strings of a list (anything else is ignored, never crashes)."""
    if not isinstance(value, list):
        return []
    return [v.strip() for v in value if isinstance(v, str) and v.strip()]


def _role_lines(value: Any) -> list[str]:
    lines: list[str] = []
    if not isinstance(value, list):
        return lines
    for entry in value:
        if not isinstance(entry, dict):
            continue
        role = str(entry.get("role") or "").strip()
        duties = "; ".join(_strings(entry.get("responsibilities")))
        if role or duties:
            lines.append(f"{role}: {duties}" if role and duties else role or duties)
    return lines


def passages_of(data: dict[str, Any]) -> list[Passage]:
    """The passages of an agent SOP's `data`, in document order."""
    sections = data.get("sections") if isinstance(data.get("sections"), dict) else {}
    assert isinstance(sections, dict)
    out: list[Passage] = []
    overview = [
        s
        for s in (data.get("description"), data.get("summary"))
        if isinstance(s, str) and s.strip()
    ]
    for i, text in enumerate(dict.fromkeys(s.strip() for s in overview)):
        out.append(Passage(OVERVIEW, i, "Overview", text))
    for key, heading in SECTION_HEADINGS.items():
        raw = sections.get(key)
        items = _role_lines(raw) if key == "rolesResponsibilities" else _strings(raw)
        out.extend(Passage(key, i, heading, item) for i, item in enumerate(items))
    return out


def build_document(sop_id: str, phase: int, data: dict[str, Any]) -> SopDocument:
    """The weighted texts, passages and vocabulary of one agent SOP."""
    title = str(data.get("title") or sop_id).strip()
    keywords = " ".join(_strings(data.get("keywords")))
    passages = passages_of(data)
    body = [p for p in passages if p.section_key != OVERVIEW]
    headings = list(dict.fromkeys(p.heading for p in body))
    rest = " ".join(p.body for p in passages if p.section_key == OVERVIEW)
    weight_a = expand(title) + f" zkphase{phase}"
    weight_c = " ".join(expand(p.body) for p in body)
    all_text = " ".join([title, keywords, rest, *(p.body for p in body)]).lower()
    return SopDocument(
        sop_id=sop_id,
        title=title,
        phase=phase,
        weight_a=weight_a,
        weight_b=" ".join(headings) + (" " + expand(keywords) if keywords else ""),
        weight_c=weight_c,
        weight_d=expand(rest) if rest else "",
        passages=tuple(passages),
        vocabulary=tuple(sorted(set(_WORD.findall(all_text)))),
    )


def passage_text(passage: Passage) -> tuple[str, str]:
    """(heading text, body text with concepts) for a passage's B and C weights."""
    return passage.heading, expand(passage.body)
