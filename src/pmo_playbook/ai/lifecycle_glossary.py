"""A curated project-lifecycle glossary: the words people use for each lifecycle stage.

The SOPs are terse ("Capture high-level idea or request"); people ask in their own words
("someone has a proposal", "a vendor is blocking us", "midway through delivery"). The thesaurus
rings cover synonyms of words a SOP already uses; this glossary covers the *stage*: every term a
project manager associates with a stage of the standard lifecycle (PMBOK process groups:
initiating — split here into pre-initiation/intake and initiation — planning, executing with
monitoring & controlling, closing, plus benefits realisation).

The indexer appends a SOP's stage terms to its search document at the LOWEST weight (D), so
they decide between SOPs only when the question shares nothing more specific with any of them.
A SOP is matched to its stage by its phase number (1–5) or, failing that, by its title — never
by any question. The terms are general PM vocabulary, deliberately free of agile ceremonies and
tool names (sprints, story points, Jira), which no stage of this playbook covers.
"""

from __future__ import annotations

import re

# stage -> terms (plain words and phrases; tokenised and stemmed by PostgreSQL like SOP text)
STAGES: dict[str, tuple[str, ...]] = {
    "pre-initiation": (
        "idea proposal proposed pitch opportunity initiative request demand intake submission",
        "feasibility viability options appraisal business case ROI payback value worth pursuing",
        "funding request investment decision go/no-go approval to proceed gate",
        "portfolio prioritisation prioritization ranking selection pipeline strategic fit",
        "rough estimate ballpark sizing preliminary assessment concept screening triage",
    ),
    "initiation": (
        "charter authorise authorize authorisation mandate formally start kick-off kickoff launch",
        "onboard onboarding appointed newly assigned project manager sponsor sponsorship",
        "stakeholder identification influence interest power analysis register map",
        "governance steering committee board decision rights escalation path terms of reference",
        "RAID log assumptions dependencies constraints scope objectives success criteria",
        "sponsor sign-off commitment mobilise mobilize first meeting introductions",
    ),
    "design and plan": (
        "planning plan WBS work breakdown tasks activities decomposition work packages",
        "schedule timeline gantt milestones dependencies critical path sequencing durations",
        "baseline cost baseline budget estimates estimating effort bottom-up",
        "resource plan resourcing allocation capacity assignments RACI",
        "communication plan communications cadence reporting plan keep stakeholders informed",
        "risk register risk management plan mitigation quality plan acceptance criteria",
    ),
    "implement and control": (
        "execution executing delivery build in progress underway midway halfway mid-project",
        "status report progress update dashboard reporting tracking monitoring health RAG",
        "change request change control scope creep variation additional requirements",
        "issue blocker blocked problem escalate escalation impediment dispute",
        "vendor supplier contractor third party late slipping slippage delay behind schedule",
        "variance overrun over budget overspend forecast corrective action recovery",
        "RAID update steering meeting",
    ),
    "close": (
        "closure closing close-out wrap-up completion finished end of project",
        "handover hand over transition operations support business as usual BAU",
        "acceptance accept final deliverables customer sign-off client approval",
        "lessons learned retrospective post-mortem reflection",
        "release resources disband demobilise demobilize reassign people archive",
        "closure report benefits realisation realization value delivered KPIs outcomes",
        "post-implementation review PIR evaluation measure success",
    ),
}

# phase number (agent SOP `phase`) -> stage
_PHASE_STAGE: dict[int, str] = {
    1: "pre-initiation",
    2: "initiation",
    3: "design and plan",
    4: "implement and control",
    5: "close",
}
# title patterns, in order (pre-initiation before initiation), for SOPs without a known phase
_TITLE_STAGE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"pre[\s-]?initiat|intake|ideation"), "pre-initiation"),
    (re.compile(r"initiat|kick[\s-]?off|start[\s-]?up"), "initiation"),
    (re.compile(r"design|plan"), "design and plan"),
    (re.compile(r"implement|execut|control|deliver"), "implement and control"),
    (re.compile(r"clos|benefit|handover"), "close"),
)


def stage_of(phase: int, title: str) -> str | None:
    """The lifecycle stage of a SOP: by its phase number, else by its title, else none."""
    if phase in _PHASE_STAGE:
        return _PHASE_STAGE[phase]
    lowered = title.lower()
    return next((stage for pattern, stage in _TITLE_STAGE if pattern.search(lowered)), None)


def stage_terms(phase: int, title: str) -> str:
    """The glossary text of a SOP's stage ("" when its stage is unknown)."""
    stage = stage_of(phase, title)
    return " ".join(STAGES[stage]) if stage else ""
