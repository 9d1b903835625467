"""The offline answerer (the default): the sentences and list items that answer the question.

No model, no network. The answer quotes, in document order, the units (sentences, list items,
table rows) retrieval ranked highest for the question, grouped under their section, and cites
each (SOP, section) once. When the question asks what something is, or how to produce it, and
the SOP only names it, the answer says so plainly instead of passing a mention off as an
explanation. When retrieval selected no SOP it says that, and lists what the playbook covers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pmo_playbook.ai.retrieval import Hit, Retrieval

# "what is a WBS", "what does RAID mean", "define the charter": a request for a definition.
_DEFINE = re.compile(
    r"^\s*(?:what(?:'s| is| are)|define|explain|meaning of|what does)\s+(?:an?\s+|the\s+)?"
    r"(?P<term>[^?]+?)(?:\s+mean|\s+stand for)?\s*\??\s*$",
    re.IGNORECASE,
)
# "how do I write a project charter": a request for the steps that produce something.
_HOW_TO = re.compile(
    r"^\s*how\s+(?:do|should|can|would)\s+(?:i|we|you)\s+(?:write|create|prepare|draft|"
    r"build|develop|produce|make|put together|fill in|complete)\s+(?:an?\s+|the\s+|our\s+|my\s+)?"
    r"(?P<term>[^?]+?)\s*\??\s*$",
    re.IGNORECASE,
)
_CONTENTS = re.compile(
    r"^\s*what\s+(?:should|must|does|do|will|would)\s+(?:an?\s+|the\s+|our\s+|my\s+)?"
    r"(?P<term>[^?]+?)\s+(?:contain|include|cover|list|hold)\s*\??\s*$"
    r"|^\s*what\s+goes\s+(?:in|into)\s+(?:an?\s+|the\s+|our\s+|my\s+)?(?P<term2>[^?]+?)\s*\??\s*$",
    re.IGNORECASE,
)
_DEFINING = r"\s*(?:\([^)]*\)\s*)?(?:is|are|means|refers to|describes|defines|:|–|—|-)\s"


@dataclass(frozen=True)
class Citation:
    """Where quoted text comes from: which SOP, which section, the text quoted from it."""

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
    source: str = "offline"  # "offline" | "llm" | "project"


def citations_of(hits: list[Hit]) -> list[Citation]:
    """One citation per (SOP, section), quoting the units used from it, in answer order."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for hit in hits:
        grouped.setdefault((hit.sop_id, hit.section), []).append(hit.body)
    return [
        Citation(sop_id, section, " … ".join(bodies)[:500])
        for (sop_id, section), bodies in grouped.items()
    ]


def gap_note(question: str, sop_id: str, units: tuple[tuple[str, str], ...]) -> str | None:
    """A plain statement when the SOP names the asked-about thing but neither defines it (for
    "what is X"), details how to produce it ("how do I write X") nor lists what goes in it
    ("what should X contain"); else None."""
    asks = ((_DEFINE, "define"), (_HOW_TO, "detail"), (_CONTENTS, "contents"))
    for pattern, kind in asks:
        match = pattern.match(question)
        if not match:
            continue
        groups = match.groupdict()
        term = (groups.get("term") or groups.get("term2") or "").strip().rstrip(".")
        if len(term) < 2 or len(term.split()) > 6:
            return None
        escaped = re.escape(term)
        mentions = [(s, u) for s, u in units if re.search(rf"\b{escaped}", u, re.IGNORECASE)] + [
            (s, u) for s, u in units if re.search(rf"\b{escaped}", s, re.IGNORECASE)
        ]
        if not mentions:
            return None
        if kind == "define":
            defined = any(
                re.search(rf"\b{escaped}\w*{_DEFINING}", u, re.IGNORECASE)
                or re.fullmatch(rf"(?:the\s+)?{escaped}\w*", s.split(" › ")[-1], re.IGNORECASE)
                for s, u in mentions
            )
            if not defined:
                return f"{sop_id} names “{term}” but does not define it."
        else:
            detailed = any(
                re.search(rf"\b{escaped}", s, re.IGNORECASE) for s, _ in mentions
            ) or any(len(u) > len(term) + 40 for _, u in mentions)
            if not detailed and kind == "contents":
                return f"{sop_id} names “{term}” but does not say what it contains."
            if not detailed:
                return f"{sop_id} names “{term}” but does not say how to produce it."
        return None
    return None


def compose(retrieval: Retrieval) -> Answer:
    """The grounded answer for a retrieval that selected a SOP."""
    sop = retrieval.sop
    assert sop is not None
    lines = [f"According to **{sop.sop_id} – {sop.title}**:", ""]
    note = gap_note(retrieval.question, sop.sop_id, retrieval.sop_units)
    if note:
        lines += [f"> {note}", ""]
    current: tuple[str, str] | None = None
    for hit in retrieval.passages:
        here = (hit.sop_id, hit.section)
        if here != current:
            if current is not None:
                lines.append("")
            source = hit.section or "Introduction"
            prefix = "" if hit.sop_id == sop.sop_id else f"{hit.sop_id}, "
            lines.append(f"*{prefix}{source}*")
            current = here
        lines.append(f"- {hit.body}")
    citations = citations_of(retrieval.passages)
    lines += ["", "_Sources: " + "; ".join(f"{c.sop_id} › {c.section}" for c in citations) + "._"]
    return Answer("\n".join(lines), citations)


def no_sop_answer(catalogue: list[tuple[str, str]]) -> Answer:
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
        "Try rephrasing with the words your procedures use, or report this as a gap so the PMO "
        "can add guidance."
    )
    return Answer("\n".join(lines))
