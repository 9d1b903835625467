"""The offline answerer (the default): a grounded markdown answer built from the selected SOP.

No model, no network: the answer quotes the SOP's passages that matched the question, adds the
section the question asks about (steps, roles, deliverables, templates) and cites every quoted
line as `{sopId, section, quote}`. When retrieval selected no SOP it says so plainly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pmo_playbook.ai.retrieval import Retrieval
from pmo_playbook.repositories.sop_search import SectionScore

MAX_LIST = 8

# What a question asks for → the section that answers it (first match wins).
_INTENTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"\b(who|whose|role|roles|responsib\w*|accountab\w*|owner)\b"),
        "rolesResponsibilities",
    ),
    (
        re.compile(r"\b(templates?|tools?|forms?|checklists?|software|registers?)\b"),
        "toolsTemplates",
    ),
    (
        re.compile(r"\b(deliverables?|outputs?|produce[sd]?|artifacts?|artefacts?|documents?)\b"),
        "deliverables",
    ),
    (re.compile(r"\b(pitfalls?|mistakes?|avoid)\b"), "commonPitfalls"),
    (re.compile(r"\b(best practices?|tips?)\b"), "bestPractices"),
)
_LABELS = {
    "overview": "Purpose",
    "objectives": "Objective",
    "keyActivities": "What to do",
    "deliverables": "What to deliver",
    "rolesResponsibilities": "Who is responsible",
    "toolsTemplates": "Templates and tools",
    "bestPractices": "Good practice",
    "commonPitfalls": "Pitfalls to avoid",
}
_ORDER = list(_LABELS)


@dataclass(frozen=True)
class Citation:
    """A quoted line of a SOP: which SOP, which section heading, the exact text."""

    sop_id: str
    section: str
    quote: str

    def as_json(self) -> dict[str, str]:
        return {"sopId": self.sop_id, "section": self.section, "quote": self.quote}


@dataclass(frozen=True)
class Answer:
    """What the chat returns for one question."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    source: str = "offline"  # "offline" | "llm"


def intent_section(question: str) -> str:
    """The SOP section a question asks about; key activities ("how do I…") by default."""
    lowered = question.lower()
    for pattern, key in _INTENTS:
        if pattern.search(lowered):
            return key
    return "keyActivities"


def no_sop_answer(retrieval: Retrieval, catalogue: list[tuple[str, str]]) -> Answer:
    """Say plainly that no SOP covers the question, and what the playbook does cover."""
    lines = [
        "I could not find a PMO SOP that covers this question, so I will not guess.",
        "",
    ]
    if catalogue:
        lines.append("The playbook's SOPs cover:")
        lines.extend(f"- **{sop_id}**: {title}" for sop_id, title in catalogue)
        lines.append("")
    lines.append(
        "Try rephrasing with project-management terms, or report this as a gap so the PMO "
        "can add guidance."
    )
    return Answer("\n".join(lines))


def compose(retrieval: Retrieval, all_sections: list[SectionScore]) -> Answer:
    """The grounded answer for a retrieval that selected a SOP.

    `all_sections` are every passage of that SOP (for the section the question asks about)."""
    sop = retrieval.sop
    assert sop is not None
    wanted = intent_section(retrieval.question)
    shown: dict[str, list[SectionScore]] = {}
    for passage in retrieval.sections:
        shown.setdefault(passage.section_key, []).append(passage)
    extra = [p for p in all_sections if p.section_key == wanted]
    if extra:
        have = {p.id for p in shown.get(wanted, [])}
        shown.setdefault(wanted, []).extend(p for p in extra if p.id not in have)
    lines = [f"According to **{sop.sop_id} – {sop.title}** (phase {sop.phase}):", ""]
    if retrieval.closest:
        lines = [
            f"No procedure matches this question exactly; the closest is **{sop.sop_id} – "
            f"{sop.title}** (phase {sop.phase}):",
            "",
        ]
    citations: list[Citation] = []
    said: set[str] = set()  # the summary often repeats the objective: say each text once
    for key in sorted(shown, key=lambda k: (k != wanted, _ORDER.index(k) if k in _ORDER else 99)):
        items = [p for p in shown[key] if p.body not in said][:MAX_LIST]
        if not items:
            continue
        said.update(p.body for p in items)
        lines.append(f"**{_LABELS.get(key, items[0].heading)}**")
        lines.extend(f"- {p.body}" for p in items)
        lines.append("")
        citations.extend(Citation(sop.sop_id, p.heading, p.body) for p in items)
    lines.append(f"_Source: {sop.sop_id} ({sop.title}), confidence {retrieval.confidence:.0%}._")
    return Answer("\n".join(lines), _dedupe(citations))


def _dedupe(citations: list[Citation]) -> list[Citation]:
    return list(dict.fromkeys(citations))
