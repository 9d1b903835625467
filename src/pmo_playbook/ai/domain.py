"""Is a question about running a project at all? (Domain detection, separate from SOP choice.)

Retrieval used to make one decision from one number: the full-text confidence of the best SOP.
That number mixes two questions — "is this about running a project?" and "which SOP?" — so a
clearly on-topic question in words the SOPs do not use ("we are over budget halfway through
the build") was refused like "write me a poem". This module answers the first question on its
own, from general project-management knowledge (never from any evaluation question):

* **Anchors**: the vocabulary of project delivery. Strong anchors (project, stakeholder,
  sponsor, charter, milestone, go-live, …) are unambiguous; weak ones (budget, client, team,
  schedule, deadline, …) also have everyday meanings, so a question needs two of them (or a
  weak one plus a lifecycle-time cue such as "halfway through").
* **Out of scope**: topics next to project management that this playbook deliberately does not
  cover — agile ceremonies and metrics, software tools and IT support, HR / career / personal
  admin, general knowledge and writing chores. A question naming one of them is never rescued
  by its anchors ("best laptop for running MS Project", "PMP certification").

`retrieval` uses the verdict to keep the best SOP for an in-domain question whose match is
weak (answered as the *closest* procedure) and to hold a weak match of an out-of-scope
question below the refusal threshold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STRONG_ANCHORS = _words(
    """project projects pmo programme portfolio stakeholder stakeholders sponsor sponsors
    charter deliverable deliverables milestone milestones go-live golive handover hand-over
    kickoff kick-off wbs raci gantt steerco baseline baselines scope descoped descope
    rollout roll-out lifecycle life-cycle initiation closeout close-out post-mortem
    postmortem retrospective workstream workstreams raid intake feasibility pir
    post-implementation postimplementation preinitiation pre-initiation uat"""
)
WEAK_ANCHORS = _words(
    """budget budgets overrun overspend cost costs funding funded fund client clients customer
    customers team teams vendor vendors supplier suppliers contractor contractors risk risks
    issue issues schedule deadline deadlines plan plans planning phase phases stage task tasks
    feature features requirement requirements estimate estimates estimating build delivery
    deliver delivered launch launched sign-off signoff approval approve approved proposal
    initiative business case benefit benefits savings roi value outcome outcomes objectives
    dependency dependencies assumption assumptions escalate escalation governance committee
    resources resourcing staffing lessons learned learnt closure handoff transition
    acceptance change changes timeline timelines progress status report reporting
    implementation execution capacity effort blocker blockers blocked overspent delayed delay
    delays slippage defect defects"""
)
# Multi-word anchors (general PM phrases whose words are weak or generic on their own).
STRONG_PHRASES = re.compile(
    r"\b(business case|steering (committee|group|board)|lessons learn\w*|change request\w*"
    r"|status report\w*|break\w* (\w+ ){0,3}down|work packages?|critical path|scope creep"
    r"|risk (register|log)|issue log|project (manager|plan|team|board)|go[ /-]?no[ /-]?go"
    r"|business as usual|benefits? realis\w*|benefits? realiz\w*"
    r"|kick(ed|ing)? (\w+ )?off|hand(ed|ing)? (\w+ ){0,3}over"
    r"|green light|(communication|resource|risk|quality) plan|work breakdown)\b"
)

# Topics next to project management that the playbook does not cover (whole words).
OUT_OF_SCOPE = re.compile(
    r"\b("
    # agile ceremonies, artefacts and metrics (the playbook is a phase-gate lifecycle)
    r"sprints?|scrum|kanban|standups?|stand-ups?|burn-?downs?|velocity|story points?"
    r"|user stor(y|ies)|backlog grooming|product owner"
    # software tools, code and IT support
    r"|jira|trello|asana|azure|devops|github|gitlab|git|python|javascript|sql|csv|excel macros?"
    r"|password|passwords|laptops?|printers?|wi-?fi|licen[cs]e keys?|per (user|seat)"
    r"|subscription|vpn|pdf"
    r"|email signature|pivot tables?|spreadsheet formulas?|business cards?"
    r"|(for|on) (a )?(mac|macos|windows|iphone|ipad|android|linux)"
    # social media and other publishing
    r"|linkedin|twitter|tweets?|instagram|facebook|tiktok|youtube|podcasts?|blog posts?"
    # HR, career and personal admin
    r"|salary|salaries|pay rise|certifications?|certified|exams?|pmp|prince2"
    r"|cover letter|my (resume|cv)|cv|job (application|interview)|interview questions|vacation"
    r"|(annual|parental|sick|maternity|paternity) leave|leave (request|balance|days)"
    r"|holiday (request|allowance|booking)|expense (report|claim|form)s?|claim (my )?expenses"
    r"|reimburse\w*|payroll|performance review|appraisal form"
    r"|careers?|become an? (project manager|pm|programme manager)|job titles?"
    # personal life
    r"|wedding|birthday|dentist|doctor|my (personal|family|home|kids|wife|husband)"
    r"|personal finances?|games?"
    # general knowledge, leisure and writing chores
    r"|weather|forecasts? for (today|tomorrow)|recipes?|poems?|haiku|jokes?"
    r"|translat\w*(\s+\w+){0,5}\s+(into|to)\s+(french|spanish|german|italian|dutch|chinese"
    r"|japanese|portuguese|arabic|hindi|russian|english)"
    r"|football|restaurants?|pizza|(?<!the )books?|textbooks?|novels?|movies?|songs?"
    r"|history of (project management|the pmo|pmi|agile)"
    r"|learn(ing)? (to speak )?(spanish|french|german|italian|chinese|mandarin|japanese"
    r"|english|a language)|team[ -]?building|icebreakers?|breakfast|lunch|dinner"
    # social and celebration chores (who brings the cake is not a project process)
    r"|cakes?|cupcakes?|drinks|(leaving|farewell|office|christmas|birthday|surprise|launch"
    r"|summer|team|retirement|engagement) (do|party|parties|drinks)|farewells?"
    r"|(?<!third )(?<!third-)(?<!interested )(?<!responsible )(?<!other )(?<!external )party"
    r"|gifts?|(birthday|leaving|farewell|greetings?|get[ -]well|thank[ -]you|congratulations)"
    r" cards?|sign (\w+ ){0,3}cards?|whip[ -]?round|secret santa|balloons|bouquet|flowers"
    r")\b"
)
# Out-of-scope terms that are often only the SUBJECT or the FORMAT of a real process question
# ("the business case for a new payroll system", "a charter template in Word or PDF", "plan
# around holidays"): they yield to a PM-process anchor. The other terms (agile ceremonies, tools,
# careers, personal life, writing chores) refuse whatever else the question says.
SOFT_OUT_OF_SCOPE = re.compile(
    r"pdf|csv|payroll|vacation|(annual|parental|sick|maternity|paternity) leave"
    r"|leave (request|balance|days)|holiday (request|allowance|booking)"
    r"|expense (report|claim|form)s?"
    r"|claim (my )?expenses|reimburse\w*|licen[cs]e keys?|per (user|seat)|subscription"
    r"|performance review|appraisal form"
)
# Process anchors strong enough to outweigh a soft out-of-scope term: named artefacts, roles,
# forums and events of the project lifecycle (not bare "project"/"programme", which any
# project-flavoured chore mentions).
PROCESS_ANCHORS = re.compile(
    r"\b(charters?|business cases?|sponsors?|stakeholders?|milestones?|steering (committee"
    r"|group|board)|lessons learn\w*|risk (register|log)|raid( log)?|status reports?|go-?live"
    r"|kick-?off|handover|hand-over|change requests?|wbs|work breakdown|deliverables?"
    r"|baselines?|closure report|benefits? reali[sz]\w*|scope creep|resource plan"
    r"|communications? plan|governance|post-implementation review)\b"
)
# Signs that a question is about running or starting a project even though its SUBJECT is an
# everyday domain ("replacing the payroll system ... as a potential project"): the word project
# with a lifecycle verb or qualifier. Together with a weak PM anchor or a lifecycle-time cue
# such a question is a process question, and soft out-of-scope terms yield to it.
# File formats: a question about converting or exporting is a chore even when it names the
# project plan; only a named PM artefact makes it a process question.
FORMATS = re.compile(r"pdf|csv")
# The asker's own HR and expense admin, which no project context makes a process question.
PERSONAL_ADMIN = re.compile(
    r"\b(my|mine|i'm owed|am i owed)( own)? (\w+ )?(annual |sick |parental |holiday )?(leave"
    r"|holidays?|vacation|expenses?|expense (claim|report|form)s?|reimburse\w*|performance"
    r" review|appraisal|pay|salary|payslip)\b"
    r"|\b(can|may|should|could|do) i (take|book|claim|get|request|submit|expense)\b"
)
_PROJECT = re.compile(r"(?<!ms )(?<!microsoft )\bprojects?\b")
PROJECT_INTENT = re.compile(
    r"\b(start|starts|starting|started|begin|begins|initiat\w*|propos\w*|consider\w*|submit\w*"
    r"|approv\w*|run|runs|running|manag\w*|plan|plans|planning|planned|deliver\w*|clos\w*"
    r"|kick\w* off|launch\w*|become|becomes|became|turn\w* (it |this )?into|officially"
    r"|formally|potential|possible|proposed|candidate|prospective|approved|funded)\b"
)
_WORD = re.compile(r"[a-z][a-z0-9'/-]*")


def _stem(word: str) -> str:
    """A crude singular/base form ("deadlines" -> "deadline", "escalated" -> "escalate")."""
    for suffix, repl in (("ies", "y"), ("ing", ""), ("ed", "e"), ("es", "e"), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 3:
            return word[: -len(suffix)] + repl
    return word


@dataclass(frozen=True)
class DomainVerdict:
    """How strongly a question is about running a project, and whether it is out of scope."""

    anchors: float  # strong anchor = 1, weak = 0.5, lifecycle-time cue = 0.5
    out_of_scope: str | None  # the out-of-scope term found, if any

    @property
    def in_domain(self) -> bool:
        return self.anchors >= 1.0 and self.out_of_scope is None


def assess(question: str, *, has_stage_cue: bool = False) -> DomainVerdict:
    """The domain verdict of a question (lower-cased word matching, no database)."""
    lowered = question.lower()
    words = {re.sub(r"'s$", "", w).strip("'-/") for w in _WORD.findall(lowered)}
    words |= {_stem(w) for w in words}
    strong = len(words & STRONG_ANCHORS) + len(STRONG_PHRASES.findall(lowered))
    weak = len(words & WEAK_ANCHORS)
    score = strong + 0.5 * weak + (0.5 if has_stage_cue else 0.0)
    process = _runs_a_project(lowered, weak > 0, has_stage_cue)
    return DomainVerdict(score, _out_of_scope(lowered, process))


def _runs_a_project(lowered: str, weak_anchor: bool, has_stage_cue: bool) -> bool:
    """True when the question is about running, starting or planning a project: a PM-process
    artefact/role/forum/event; or the word project with a lifecycle verb or qualifier, a weak
    PM anchor (risk, plan, schedule, ...) or a lifecycle-time cue; or a cue with a weak anchor
    ("reduce each risk ... before the build starts")."""
    if PROCESS_ANCHORS.search(lowered):
        return True
    if _PROJECT.search(lowered) and (
        weak_anchor or has_stage_cue or PROJECT_INTENT.search(lowered)
    ):
        return True
    return has_stage_cue and weak_anchor


def _out_of_scope(lowered: str, process: bool) -> str | None:
    """The first out-of-scope term, unless every term found is a soft one and the question is
    about a project process: for a SUBJECT (payroll, leave, expenses) any `_runs_a_project`
    signal, for a FORMAT (pdf, csv) a named PM-process anchor. The asker's OWN admin ("can I
    take annual leave during the project", "my expenses for the kick-off") never yields."""
    found = [m.group(0) for m in OUT_OF_SCOPE.finditer(lowered)]
    if not found:
        return None
    hard = [t for t in found if not SOFT_OUT_OF_SCOPE.fullmatch(t)]
    if hard or PERSONAL_ADMIN.search(lowered):
        return (hard or found)[0]
    named = PROCESS_ANCHORS.search(lowered) is not None
    if any(FORMATS.fullmatch(t) for t in found) and not named:
        return found[0]
    return None if process else found[0]
