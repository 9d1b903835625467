"""Human SOP markdown → the AgentSOP structure (legacy `sop-parser.ts`, §3.2, defects fixed).

Deterministic, no I/O. Fixes over the legacy parser:
- D11: the phase is the whole number ("Phase N" in the title or a `Phase: N` metadata line,
  else the number of `SOP-NNN` when it is 1..5, else the phase the SOP already had).
- D12: GFM tables are read (a `Role | Responsibility` table is grouped by role), numbered lists,
  `*` bullets and indented items count, the summary is the Objective/Overview/Purpose paragraph
  (no "sentence. - first bullet" artefact) and keywords come from the content, not ten fixed
  generic terms.
- D10: the title is the H1 without the `PMO SOP – ` / `PMO SOP - ` prefix, for human and agent
  SOPs alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pmo_playbook.documents.sop_markdown import (
    Section,
    build_sections,
    list_items,
    paragraphs,
    roles_from_lines,
)

DEFAULT_SUMMARY = "Guidelines and procedures for this phase of project management."
UNTITLED = "Untitled SOP"
PHASE_RELATED: dict[int, list[str]] = {
    1: ["SOP-002"],
    2: ["SOP-001", "SOP-003"],
    3: ["SOP-002", "SOP-004"],
    4: ["SOP-003", "SOP-005"],
    5: ["SOP-004"],
}
_TITLE_PREFIX = re.compile(r"^PMO\s+SOP\s*[–—-]\s*", re.IGNORECASE)
_PHASE_IN_TEXT = re.compile(r"\bphase\s*[:#]?\s*(\d+)\b", re.IGNORECASE)
_PHASE_METADATA = re.compile(
    r"^\s*[*_]*phase[*_]*\s*:\s*[*_]*\s*(\d+)", re.IGNORECASE | re.MULTILINE
)
_SOP_NUMBER = re.compile(r"^SOP-(\d+)$")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
_WORD = re.compile(r"[a-z][a-z0-9/&-]*[a-z0-9]")

CATEGORY_PATTERNS: dict[str, tuple[str, ...]] = {
    "objectives": ("objective", "goal", "purpose", "outcome"),
    "keyActivities": ("activities", "tasks", "steps", "process", "actions"),
    "deliverables": ("deliverable", "output", "artifact", "result", "product"),
    "toolsTemplates": ("tool", "template", "resource", "framework", "technique"),
    "bestPractices": ("best practice", "tip", "recommendation", "guidance"),
    "commonPitfalls": ("pitfall", "mistake", "avoid", "warning", "caution", "risk"),
}
_ROLE_PATTERN = re.compile(r"role|responsibilit|stakeholder", re.IGNORECASE)
_SUMMARY_PATTERN = re.compile(r"objective|overview|purpose|summary|introduction", re.IGNORECASE)
_STOP_WORDS = frozenset(
    """about above after again against all also and any are because been before being below
    between both but can could did does doing down during each few for from further had has
    have having here how into its itself just more most not now off once only other our out
    over own same should some such than that the their them then there these they this those
    through too under until very was were what when where which while who whom why will with
    would you your project projects phase pmo sop sops initial high-level level key define
    ensure""".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class ParsedSop:
    """What the parser extracts from one SOP's markdown."""

    title: str
    phase: int
    summary: str
    description: str
    sections: dict[str, Any]
    keywords: list[str]
    related_sop_ids: list[str]


@dataclass(frozen=True)
class ValidationResult:
    """`validateSOPStructure`: errors make the SOP unusable, warnings are advice."""

    is_valid: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def strip_title_prefix(title: str) -> str:
    """`PMO SOP – Initiation Phase` → `Initiation Phase` (D10: one rule for every title)."""
    return _TITLE_PREFIX.sub("", title.strip()).strip() or title.strip()


def parse_title(markdown: str) -> str:
    """The first H1 without the PMO SOP prefix, or `Untitled SOP`."""
    match = re.search(r"^#\s+(.+?)\s*#*\s*$", markdown, re.MULTILINE)
    return strip_title_prefix(match.group(1)) if match else UNTITLED


def parse_phase(markdown: str, sop_id: str, existing_phase: int | None = None) -> int | None:
    """The phase from the SOP itself (D11): the whole number, never its first digit."""
    h1 = re.search(r"^#\s+(.+)$", markdown, re.MULTILINE)
    for source in (h1.group(1) if h1 else "", markdown):
        pattern = _PHASE_IN_TEXT if source is not markdown else _PHASE_METADATA
        match = pattern.search(source)
        if match and 1 <= int(match.group(1)) <= 5:
            return int(match.group(1))
    number = _SOP_NUMBER.match(sop_id)
    if number and 1 <= int(number.group(1)) <= 5:
        return int(number.group(1))
    return existing_phase


def parse_sop_markdown(markdown: str, sop_id: str, existing_phase: int | None = None) -> ParsedSop:
    """Parse one SOP. `existing_phase` is the fallback when the SOP does not state its phase."""
    roots = build_sections(markdown)
    every = [s for root in roots for s in root.walk()]
    title = parse_title(markdown)
    phase = parse_phase(markdown, sop_id, existing_phase) or 1
    sections = _extract_sections(every)
    summary = _summary(every, markdown)
    return ParsedSop(
        title=title,
        phase=phase,
        summary=summary,
        description=_description(summary, roots),
        sections=sections,
        keywords=_keywords(title, sections, markdown),
        related_sop_ids=list(PHASE_RELATED.get(phase, [])),
    )


def _matching(every: list[Section], patterns: tuple[str, ...]) -> list[Section]:
    return [s for s in every if any(p in s.title.lower() for p in patterns)]


def _extract_sections(every: list[Section]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for category, patterns in CATEGORY_PATTERNS.items():
        items: list[str] = []
        for section in _matching(every, patterns):
            if _ROLE_PATTERN.search(section.title):
                continue
            items.extend(list_items(section.lines))
            if category == "objectives" and not items:
                items.extend(paragraphs(section.lines)[:3])
        found[category] = _dedupe(items)
    if not found["keyActivities"]:
        fallback = [i for s in every for i in list_items(s.lines) if len(i) > 20]
        found["keyActivities"] = _dedupe(fallback)[:10]
    found["rolesResponsibilities"] = _roles(every)
    return {
        "objectives": found["objectives"],
        "keyActivities": found["keyActivities"],
        "deliverables": found["deliverables"],
        "rolesResponsibilities": found["rolesResponsibilities"],
        "toolsTemplates": found["toolsTemplates"],
        "bestPractices": found["bestPractices"],
        "commonPitfalls": found["commonPitfalls"],
    }


def _roles(every: list[Section]) -> list[dict[str, Any]]:
    """Roles from role sections: tables (grouped by role), `**Role**:` lines, sub-headings."""
    grouped: dict[str, list[str]] = {}
    for section in every:
        if not _ROLE_PATTERN.search(section.title):
            continue
        for role, duties in roles_from_lines(section.lines):
            bucket = grouped.setdefault(role, [])
            bucket.extend(d for d in duties if d not in bucket)
        for child in section.children:
            duties = list_items(child.lines) or paragraphs(child.lines)
            if duties:
                bucket = grouped.setdefault(child.title.strip(), [])
                bucket.extend(d for d in duties if d not in bucket)
    return [{"role": r, "responsibilities": d} for r, d in grouped.items() if d]


def _summary(every: list[Section], markdown: str) -> str:
    for section in every:
        if section.level > 1 and _SUMMARY_PATTERN.search(section.title):
            text = " ".join(paragraphs(section.lines)[:1]) or " ".join(
                list_items(section.lines)[:1]
            )
            if text:
                return text[:500]
    for section in every:
        text = " ".join(paragraphs(section.lines)[:1])
        if text:
            return text[:500]
    return DEFAULT_SUMMARY


def _description(summary: str, roots: list[Section]) -> str:
    parts = [summary]
    top = [c for r in roots for c in (r.children if r.level == 1 else [r])]
    for section in top[:3]:
        first = (paragraphs(section.lines) or [""])[0]
        if len(first) > 50 and first != summary:
            parts.append(f"{section.title}: {first[:200]}...")
    return "\n\n".join(parts)[:1000]


def _keywords(title: str, sections: dict[str, Any], markdown: str) -> list[str]:
    """Up to 20 content words: bold terms, then title, objective, deliverable, tool, activity
    and role words (stop words and words of 3 letters or fewer dropped), first seen first."""
    texts: list[str] = [m.group(1).strip().lower() for m in _BOLD.finditer(markdown)]
    texts = [t for t in texts if 4 <= len(t) < 30]
    keywords: list[str] = list(dict.fromkeys(texts))
    sources = [title, *sections["objectives"], *sections["deliverables"]]
    sources += [*sections["toolsTemplates"], *sections["keyActivities"]]
    sources += [r["role"] for r in sections["rolesResponsibilities"]]
    for text in sources:
        for word in _WORD.findall(text.lower()):
            if len(word) > 3 and word not in _STOP_WORDS and word not in keywords:
                keywords.append(word)
    return keywords[:20]


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def validate_sop_structure(parsed: ParsedSop) -> ValidationResult:
    """The legacy `validateSOPStructure` rules and texts (§3.2.3)."""
    errors: list[str] = []
    warnings: list[str] = []
    sections = parsed.sections
    if not parsed.title or parsed.title == UNTITLED:
        errors.append("SOP must have a title (H1 header)")
    if len(parsed.summary) < 50:
        errors.append("SOP must have a meaningful summary or overview section")
    if not sections["objectives"]:
        errors.append("SOP must include objectives or goals")
    if not sections["keyActivities"]:
        errors.append("SOP must include key activities or tasks")
    if not sections["deliverables"]:
        warnings.append("SOP should include deliverables or outputs")
    if not sections["rolesResponsibilities"]:
        warnings.append("Consider adding roles and responsibilities section")
    if not sections["toolsTemplates"]:
        warnings.append("Consider adding tools and templates section")
    if not sections["bestPractices"]:
        warnings.append("Consider adding best practices section")
    return ValidationResult(is_valid=not errors, errors=errors, warnings=warnings)


def searchable_content(doc: dict[str, Any]) -> str:
    """The legacy pre-save hook (§1.2): lowercased, space-joined text of the agent SOP."""
    sections = doc.get("sections") or {}
    parts: list[str] = [
        doc.get("title") or "",
        doc.get("summary") or "",
        doc.get("description") or "",
    ]
    for key in ("objectives", "keyActivities", "deliverables", "toolsTemplates"):
        parts.extend(sections.get(key) or [])
    for key in ("bestPractices", "commonPitfalls"):
        parts.extend(sections.get(key) or [])
    for role in sections.get("rolesResponsibilities") or []:
        parts.append(role.get("role") or "")
        parts.extend(role.get("responsibilities") or [])
    return " ".join(p for p in parts if p).lower()
