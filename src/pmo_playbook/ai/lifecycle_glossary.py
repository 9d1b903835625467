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
    # Pre-project: needs assessment, business case, portfolio selection (PMBOK pre-initiating,
    # portfolio management).
    "pre-initiation": (
        "idea ideas proposal proposals proposed propose pitch opportunity initiative request",
        "demand intake submit submitted submission suggest suggestion new project",
        "need needs assessment problem statement justify justified justification rationale",
        "invest investment fund funded funding sponsor budget request worth worthwhile",
        "feasibility viability viable options appraisal cost-benefit business case",
        "ROI return on investment payback NPV value proposition benefits",
        "portfolio prioritise prioritize prioritised prioritized prioritisation prioritization",
        "rank ranking select selection pipeline shortlist triage screening concept",
        "strategy strategic fit alignment aligned organisational organizational goals",
        "approve approval approved endorse endorsement go/no-go decision gate proceed",
        "rough order of magnitude ballpark preliminary early estimate sizing",
    ),
    # Initiating: develop charter, identify stakeholders, set up governance.
    "initiation": (
        "charter authorise authorize authorised authorized authorisation authorization",
        "mandate formally start started starting begin launch kick-off kickoff kick off",
        "appoint appointed assign assigned named project manager sponsor sponsorship",
        "stakeholder stakeholders identify identification analysis influence interest power",
        "engagement register map mapping",
        "governance steering committee steering group board oversight decision-making",
        "decision rights escalation path terms of reference reporting lines",
        "RAID log risks assumptions issues dependencies constraints",
        "scope statement high-level scope objectives outcomes success criteria",
        "commitment committed confirm confirmed funding secured resources",
        "mobilise mobilize mobilisation mobilization onboard onboarding",
        "first meeting introductions agenda",
    ),
    # Planning: scope, WBS, schedule, cost, resources, communications, risk, quality.
    "design and plan": (
        "plan planning planned project management plan detailed scope requirements",
        "WBS work breakdown structure decompose decomposition work packages tasks activities",
        "schedule scheduling timeline gantt chart milestones sequencing dependencies",
        "critical path durations duration estimate estimates estimating estimation effort",
        "baseline baselined baselining lock freeze",
        "budget budgeting cost estimate cost baseline contingency reserve",
        "resource resourcing resource plan allocation allocate capacity skills staffing",
        "roles responsibilities RACI responsibility matrix team leads",
        "communication communications plan cadence channels frequency audience",
        "keep stakeholders informed",
        "risk management plan risk register risk identification mitigation response",
        "quality plan quality metrics acceptance criteria standards",
        "sign off sign-off approve plan",
    ),
    # Executing with monitoring & controlling.
    "implement and control": (
        "execute execution executing deliver delivering delivery build building",
        "implement implementation in progress underway midway halfway mid-project",
        "monitor monitoring track tracking progress status report reports reporting",
        "update updates dashboard health RAG red amber green weekly biweekly fortnightly",
        "change request change control change board scope creep variation",
        "additional requirements new requirement",
        "issue issues issue log blocker blocked problem escalate escalated escalating",
        "escalation impediment dispute conflict resolve resolution",
        "vendor supplier contractor third party",
        "late slipping slippage slipped delay delayed behind schedule overdue",
        "variance overrun over budget overspend underspend actuals actual spend",
        "earned value forecast forecasting burn rate corrective action recovery re-plan",
        "steering meeting checkpoint quality control",
    ),
    # Closing, handover and benefits realisation.
    "close": (
        "close closure closing closed close-out closeout wrap-up wrap up",
        "completion complete completed finish finished end of project shut down",
        "handover hand over hand-over handed over transition transfer",
        "operations support service business as usual BAU go-live live",
        "acceptance accept accepted final deliverables customer client",
        "sign-off signoff formal approval",
        "lessons learned learnt retrospective post-mortem",
        "release released resources disband demobilise demobilize demobilisation",
        "reassign redeploy contractors staff",
        "archive archived archiving records documentation",
        "closure report final report benefits realisation realization realise realize",
        "benefits tracker KPIs outcomes savings value delivered",
        "post-implementation PIR evaluate evaluation measure measuring success",
        "celebrate celebration recognition",
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


def _stage_count() -> dict[str, int]:
    counts: dict[str, int] = {}
    for terms in STAGES.values():
        for word in set(" ".join(terms).lower().split()):
            counts[word] = counts.get(word, 0) + 1
    return counts


_STAGE_COUNT = _stage_count()


def stage_terms(phase: int, title: str) -> str:
    """The glossary text of a SOP's stage ("" when its stage is unknown), with the words
    specific to that stage listed twice (a word listed under several stages counts less)."""
    stage = stage_of(phase, title)
    if not stage:
        return ""
    words = " ".join(STAGES[stage]).split()
    specific = " ".join(w for w in words if _STAGE_COUNT[w.lower()] == 1)
    return f"{' '.join(words)} {specific}"
