"""Questions about one project: answered from its record, with the SOP of its current phase.

Asked with `projectId` (the API) or from a project's page. Three kinds of question are
recognised by plain English patterns: who the sponsor is, what the next milestone is, and what
the team should be doing now. The project's current phase is its `currentPhase` (or `phase`)
when the record has one, else it is inferred from its milestone dates (the share of milestones
already past, mapped onto the playbook's phases in order), and the answer says which. Other
questions asked on a project's page get the usual SOP answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_SPONSOR = re.compile(r"\bsponsor", re.IGNORECASE)
_MILESTONE = re.compile(
    r"\b(milestones?|deadlines?|key dates?|due date)\b|\bwhat(?:'s| is) (?:the )?next\b",
    re.IGNORECASE,
)
_NOW = re.compile(
    r"\b(?:what|which)\b.*\b(?:should|do|must|need to)\b.*\b(?:we|i|the team)\b.*"
    r"\b(?:doing|do|focus on|work on)\b.*\b(?:now|next|this phase|at this stage|currently)\b"
    r"|\bnext steps?\b|\bwhere are we\b|\bcurrent phase\b|\bwhat phase\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Milestone:
    when: datetime
    description: str


@dataclass(frozen=True)
class ProjectFacts:
    """What the answers use from a project record."""

    project_id: str
    name: str
    sponsor: str
    milestones: list[Milestone]
    phase: int | None  # stated in the record (currentPhase / phase), else None


def intent(question: str) -> str | None:
    """ "sponsor" | "milestone" | "now" | None (an ordinary SOP question)."""
    if _SPONSOR.search(question) and re.search(r"\bwho\b|\bsponsor\b\s*\?", question, re.I):
        return "sponsor"
    if _NOW.search(question):
        return "now"
    if _MILESTONE.search(question):
        return "milestone"
    return None


def _when(value: Any) -> datetime | None:
    if isinstance(value, dict):  # extended JSON left in a migrated document
        value = value.get("$date", value)
        if isinstance(value, dict):
            value = value.get("$numberLong")
            return datetime.fromtimestamp(int(value) / 1000, UTC) if value else None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def facts_of(project_id: str, data: dict[str, Any]) -> ProjectFacts:
    milestones = []
    for item in data.get("keyDatesMilestones") or []:
        if not isinstance(item, dict):
            continue
        when = _when(item.get("date"))
        if when is not None:
            milestones.append(Milestone(when, str(item.get("description") or "").strip()))
    stated = data.get("currentPhase", data.get("phase"))
    phase = stated if isinstance(stated, int) and not isinstance(stated, bool) else None
    return ProjectFacts(
        project_id=project_id,
        name=str(data.get("projectName") or project_id),
        sponsor=str(data.get("sponsor") or "").strip(),
        milestones=sorted(milestones, key=lambda m: m.when),
        phase=phase,
    )


def next_milestone(facts: ProjectFacts, now: datetime) -> Milestone | None:
    return next((m for m in facts.milestones if m.when >= now), None)


def current_phase(facts: ProjectFacts, phases: list[int], now: datetime) -> tuple[int | None, str]:
    """(phase, how it was found). `phases` are the playbook's phase numbers, ascending."""
    if not phases:
        return None, "the playbook has no SOPs"
    if facts.phase is not None and facts.phase in phases:
        return facts.phase, "recorded on the project"
    if not facts.milestones:
        return None, "the project has no phase and no milestone dates"
    past = sum(1 for m in facts.milestones if m.when < now)
    share = past / len(facts.milestones)
    index = min(len(phases) - 1, int(share * len(phases)))
    return phases[index], (
        f"inferred from its milestones: {past} of {len(facts.milestones)} are past"
    )


def sponsor_text(facts: ProjectFacts) -> str:
    if not facts.sponsor:
        return f"The record of **{facts.project_id} – {facts.name}** names no sponsor."
    return f"The sponsor of **{facts.project_id} – {facts.name}** is **{facts.sponsor}**."


def milestone_text(facts: ProjectFacts, now: datetime) -> str:
    upcoming = next_milestone(facts, now)
    if upcoming is None:
        if not facts.milestones:
            return f"The record of **{facts.project_id} – {facts.name}** has no milestones."
        last = facts.milestones[-1]
        return (
            f"All milestones of **{facts.project_id} – {facts.name}** are past; the last was "
            f"“{last.description}” on {last.when:%Y-%m-%d}."
        )
    return (
        f"The next milestone of **{facts.project_id} – {facts.name}** is "
        f"“{upcoming.description}” on **{upcoming.when:%Y-%m-%d}**."
    )
