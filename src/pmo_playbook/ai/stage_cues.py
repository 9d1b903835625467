"""Lifecycle-time cues: phrases that say WHEN in a project the asker is.

"We are over budget halfway through the build", "agenda for the first meeting", "six months
after go-live, did we get the savings?": the topic words of such questions (budget, meeting,
savings) occur in several SOPs, and the phrase that actually decides the phase is a time
expression that full-text ranking ignores (stop words, or words every SOP shares). Each
pattern below locates the asker in one stage of the standard lifecycle (PMBOK process groups,
with pre-initiation split from initiation as the playbook does); `retrieval` raises the SOPs of
that stage (matched by `lifecycle_glossary.stage_of`, i.e. by phase or title, never by id).

The patterns are general everyday paraphrases of the lifecycle's moments (before approval,
at the start, while planning, during delivery, at and after the end), not words of any
evaluation question. A question can cue several stages; each cue found counts once.
"""

from __future__ import annotations

import re

_PROJ = r"(the |our |this |my |a )?(project|initiative|programme|work|it|everything|we)"
_PRE = r"(the |our |this |a |any )?(project|initiative|programme|anything|it)"
_BE = r"(is |are |has been |have been |was |were |gets? |got |'s |’s )?"

_RAW: dict[str, tuple[str, ...]] = {
    "pre-initiation": (
        rf"\bbefore {_PROJ} (even )?(is |are |gets? |has been )?"
        r"(approved|funded|greenlit|green-lit|agreed|accepted|signed off)",
        r"\bbefore (any )?(approval|funding|investment|committing|we commit)\b",
        r"\b(not yet|isn't yet|is not yet|still not) (approved|funded|a project)\b",
        r"\b(still|only) (just )?an? (idea|proposal|concept)\b",
        r"\b(idea|proposal|concept|intake) (stage|phase)\b",
        r"\bpre-?(project|approval|initiation)\b",
        r"\bprior to (its |the )?(approval|commencement|initiation|funding)\b",
        r"\bworth (doing|funding|pursuing|investing)\b",
        r"\bshould we (even )?(fund|pursue)\b",
        r"\bwhether (to|we should) (do|fund|pursue|start) (it|this|the project|this project)\b",
        # seeking the money, or asking for an idea to become a project, is before approval
        r"\b(want|wants|need|needs|seek|seeking|ask\w* for|request\w*|apply\w* for|get|getting)"
        r" (it |this |them |the idea )?(funded|funding|investment|financed|financing)\b",
        r"\b(become|becomes|turn\w* (it |this )?into) an? (real |proper |formal |new )?project\b",
        # an idea put forward to be considered AS a project has not been approved yet
        r"\b(as|be|for) an? (potential|possible|candidate|prospective|proposed|future) "
        r"(new )?project\b",
        r"\b(considered|assessed|evaluated|looked at|reviewed) (as|for) an? (new )?project\b",
        rf"\bbefore {_PRE} (is |gets |has been )?(formally |officially |even )?"
        r"(starts?|begins?|started|begun|initiated|kicked off|kicks off)\b"
        # "before the project starts delivering" is about delivery, not about approval
        r"(?! (delivering|building|executing|implementing|developing|the build|the work|work"
        r"|to (deliver|build|execute)))",
    ),
    "initiation": (
        r"\b(on|from) day (one|1)\b|\bday (one|1) of\b",
        r"\bfirst (day|days|week|weeks|meeting|team meeting|month) (of|with|on)\b",
        r"\b(in|during|for) (the |my |our )?first (few |\w+ )?(days|weeks|month)\b",
        r"\b(the|our|a) first (team )?meeting\b",
        r"\b(just|recently|newly|has just been|have just been) (been )?"
        r"(approved|funded|authori[sz]ed|greenlit|green-lit|signed off)\b",
        r"\b(was|were|got|has been|have been) (approved|funded|authori[sz]ed|greenlit|signed off)"
        r" (yesterday|today|this (morning|week)|last (week|friday|monday))\b",
        r"\b(at|from) the (very )?(start|beginning|outset)\b(?! of (the |each |every )?"
        r"(day|week|month|quarter|year|sprint|meeting|phase|stage|planning|initiation|design"
        r"|build|delivery|execution|implementation|intake))",
        r"^(?!.*\bbefore\b).*\b(formally |officially )(start|begin|launch|kick)\w*\b",
        r"\b(get|getting|got) (it |the project |things |this )?"
        r"(started|off the ground|up and running|going)\b",
        r"\b(at|during|in) the (very )?(start|beginning|outset|kick-?off) of\b",
        r"\b(just|recently|newly) (been )?(appointed|assigned|named|took over)\b",
        # it has just become a project: approved, not yet planned
        r"^(?!.*\b(before|until|not yet|isn't yet|whether)\b).*\b(is|it's|it is|now|has become"
        r"|became) (now )?(officially|formally) (an? )?(approved |real |live )?project\b",
        r"\bnew (pm|project manager)\b",
        r"\bstart-?up (phase|stage)\b|\bset(ting)? up the project\b",
    ),
    "design and plan": (
        r"\b(while|when|as) (we are |we're |we were |i am |i'm )?planning\b",
        r"^(?!.*\b(before|after|once|following)\b).*\bplanning (phase|stage)\b",
        r"\bplan(ning)? (it |the project |the work )?out\b",
        r"\bbefore (the )?(execution|delivery|build|building|implementation|development"
        r"|work|project work|real work) (starts|begins|kicks off|gets going|gets underway)\b",
        r"\bbefore (we |the team |the project |it )(start|begin|starts|begins) (building"
        r"|delivering|executing|implementing|developing|the build|the work|work)\b",
        r"\b(up front|upfront|ahead of (execution|delivery|the build))\b",
        r"\bonce (the |our )?(project |charter )?(is |has been )?"
        r"(approved|signed|authori[sz]ed)\b.*\bplan",
    ),
    "implement and control": (
        r"\b(half-?way|mid-?way|part-?way|midstream|mid-project|mid-delivery)\b",
        r"\bin the middle of\b",
        r"\b(during|throughout) (the )?(delivery|execution|build|implementation|rollout"
        r"|development|project)\b",
        # acceptance and system testing happen while the project delivers (phase-gate lifecycle)
        r"\b(during|throughout|in|from|while (we are |we're )?(doing|running)) (the |our )?"
        r"(uat|user acceptance test\w*|acceptance testing|system test\w*|integration test\w*"
        r"|test (phase|cycle|stage)|testing)\b",
        r"\b(uat|testing|the testers?|the test team) (has |have )?(found|find|finds|showed|shows"
        r"|revealed|reveals|raised|threw up|turned up|uncovered)\b",
        r"\b(while|as|whilst) (we are |we're |we were |the team is |i am |i'm )?"
        r"(delivering|building|executing|implementing|running the project|in delivery)\b",
        r"\b(while|whilst) (we|the team|they) (deliver|build|execute|implement|run the project)\b",
        rf"\b{_PROJ} {_BE}(already )?"
        r"(underway|under way|in progress|in flight|in delivery|running late)\b",
        r"\b(already|currently) (started|underway|delivering|building|executing|running)\b",
        r"\b(behind schedule|falling behind|slipping|running late|over budget)\b",
        r"\b(\w+ )?(days?|weeks?|months?) (late|behind|overdue)\b|\bbehind (on|with) the\b",
        r"\b(is|are|was|were|be|is running|are running) (already )?(late|overdue|delayed)\b",
        r"\b(a |the |when a |if a )?risks? (actually |really )?(happens|happened|occurs|occurred"
        r"|materiali[sz]es|materiali[sz]ed|hits|hit us|turns into an issue)\b",
        r"\brisks? (\w+ ){0,4}(has |have )?(now )?(become|became|turned into|turns into|is now)"
        r" (a |an )?(real |actual |live )?(problem|issue)s?\b",
        r"\b(since|after|now that) the (plan|baseline|schedule|budget) (was |has been |is |got )?"
        r"(signed|signed off|approved|agreed|baselined|locked|frozen)\b",
        r"\b(after|since|now that) (we|the team|they|work) (have |has )?(started|began|begun)"
        r"( (building|delivering|executing|the build|the work|work|development))?\b",
        r"\bwhile (the )?(work|project|build|delivery|development|implementation) "
        r"(is|was) (going on|ongoing|running|underway|in progress|happening)\b",
    ),
    "close": (
        rf"\bonce {_PROJ} {_BE}(done|finished|over|complete|completed|closed|live|delivered"
        r"|wrapped up|ended)\b",
        r"\bafter (the )?(project|go-?live|golive|launch|handover|hand-over|closure"
        r"|completion|delivery|rollout)\b(?! (is |has been |gets |got |was )?(approved|funded"
        r"|starts?|started|begins?|began|kicks? off|kicked off|authori[sz]ed|initiated"
        r"|signed off|planned|baselined))",
        r"\b(at|by|near|towards?) the (very )?end of (the |our |a )?project\b",
        r"\bend of the project\b",
        r"\b(\w+ )?(months?|years?|quarters?) later\b",
        r"\b(\w+ )?(months?|weeks?|years?|quarters?) after (go-?live|launch|closure"
        r"|the project|handover)\b",
        rf"\b(when|after) {_PROJ} "
        r"(ends|finishes|closes|is over|goes live|went live|has ended)\b",
        r"\b(project|it) (has )?(ended|finished|closed|wrapped up)\b",
        r"\b(wrap|wrapping|wrapped) (it |things |the project )?up\b",
        r"\bpost-?(project|launch|go-?live|implementation)\b",
        r"\bwent live\b|\bgone live\b|\bis now live\b|\bnow that we('re| are) live\b",
        r"\b(launched|delivered|finished|completed|closed|handed over|went live) "
        r"((last|this past) (week|month|quarter|year)|(\w+ )?(weeks?|months?|years?) ago)\b",
        r"\b(when|once|after) (it|the project|everything|all) (is|'s|was) (all )?"
        r"(over|done|finished|complete)\b",
        r"\b(when|once|after) (we|the team) (finish|are finished|are done|wrap up|close)\b",
        r"\b(when|once|after) (the |our )?(project )?team (leaves|has left|disbands|is disbanded"
        r"|is released|has been released|moves on|rolls off)\b",
        r"\b(at|by) the (very )?end\b(?! of (the |each |every |this |next )?"
        r"(day|week|month|quarter|year|sprint|meeting|phase|stage|planning|initiation|design"
        r"|build|delivery|execution|implementation|intake))",
    ),
}
# "Before <a stage>" places the asker in the stage before it, "after <a stage>" (once that stage
# is over) in the one after: "who approves it before it moves into initiation" is pre-initiation,
# "what is tested before go-live" is delivery. Only names of a stage as a whole (or of its
# boundary) count: "before the kick-off meeting" is still initiation work.
ORDER: tuple[str, ...] = tuple(_RAW)
_STAGE_NAMES: dict[str, str] = {
    "pre-initiation": r"(intake|ideation|the business case is approved)",
    "initiation": r"(initiation|project start-?up)",
    "design and plan": r"(the )?(planning( phase| stage)?|design phase|detailed planning)",
    "implement and control": r"(execution|implementation|the build|delivery starts)",
    "close": r"(go-?live|golive)",  # a boundary; handover and closure are inside the stage
}


def _neighbour_patterns() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {stage: [] for stage in ORDER}
    for i, stage in enumerate(ORDER):
        name = _STAGE_NAMES[stage]
        gap = r"(\w+ ){0,4}"
        if i > 0:
            out[ORDER[i - 1]].append(rf"\b(before|prior to|ahead of|until) {gap}{name}\b")
        if 0 < i < len(ORDER) - 1:
            out[ORDER[i + 1]].append(
                rf"\b(after|once|following) (the )?{name} (is |was )?"
                r"(over|done|finished|complete|completed|signed off)\b"
            )
    return out


# The milestones that complete each stage: the deliverables a stage produces and has signed off
# at its end (the playbook's own Deliverables, plus the approval or event that closes the stage,
# in the words people use for them). A statement that one of them is DONE ("the charter is
# signed", "now that the scope is agreed", "the rollout finished") places the asker in the
# NEXT stage, whose SOP would otherwise lose to the milestone's own (its words match).
MILESTONES: dict[str, str] = {
    "pre-initiation": r"(preliminary |initial )?(business case|idea brief|project request"
    r"|request form|intake( form)?|feasibility( study)?|go[ /-]?no[ /-]?go( decision)?"
    r"|funding( request)?|proposal)",
    "initiation": r"(project |the )?(charter|kick-?off( meeting)?|stakeholder (map|analysis"
    r"|register)|governance (plan|structure)|(high-level )?scope|initial raid log)",
    "design and plan": r"(detailed |project |baseline |the )?(plan|planning|schedule|baseline"
    r"|wbs|work breakdown( structure)?|budget|resource plan|communications? plan"
    r"|risk management plan|design)",
    "implement and control": r"(the )?(build|rollout|roll-out|delivery|deployment"
    r"|implementation|execution|development|testing|uat|user acceptance testing|go-?live"
    r"|migration|cutover|cut-over)",
}
_DONE = (
    r"(signed|signed off|approved|agreed|done|finished|complete|completed|over|held|launched"
    r"|baselined|accepted|endorsed|ratified|finali[sz]ed|locked|frozen|in place|out of the way"
    r"|went well|went ahead|took place|happened|wrapped up|delivered)"
)
_AUX = r"(is|are|was|were|has been|have been|got|'s|has|have)( now| already| finally| all)? "


def _completion_patterns() -> dict[str, list[str]]:
    """ "<milestone of stage N> is signed / agreed / done" and "now that / once / since <it is
    done>" point to stage N + 1 (the last stage has no next one)."""
    out: dict[str, list[str]] = {stage: [] for stage in ORDER}
    for i, stage in enumerate(ORDER[:-1]):
        done = MILESTONES[stage]
        out[ORDER[i + 1]] += [
            rf"\b{done} (\w+ )?(({_AUX}){_DONE}|went well|went ahead|took place|happened"
            r"|(finished|completed|ended|wrapped up))\b(?! (yet|by|before|until))",
            rf"\b{done} (\w+ )?(came back|was|is|has been|turned out) (positive|favou?rable"
            r"|a yes|a go|yes|green)\b",
            # "we've got / we have / we had the charter signed (off)"
            rf"\b(got|have|had|'ve) (now |finally |already )?(the |our |a )?(\w+ )?{done} "
            rf"(\w+ )?{_DONE}\b",
            r"\b(now that|once|since|after) ((we|they|the \w+|our \w+)('ve| have| has)? )?"
            r"(signed|signed off|approved|agreed"
            rf"|finished|completed|held|baselined|launched|delivered) (on )?(the |our )?{done}\b",
        ]
    return out


# Planning intent: the question asks to PLAN something (how and when to communicate, what quality
# looks like, how to decide, measures set up front), even when the thing planned happens later.
_PLANNING_INTENT = (
    r"(^|\b(to|we|i|you|they|and|then|should|must|will|can|let's|lets|please|first) )plan"
    r" (out )?(how|when|who|what|which|where|the|our|for|around|ahead|cover|contingency)\b",
    r"\b(agree|define|decide|set|establish|specify|work out) (on )?(upfront )?(what|how)"
    r" (\w+ ){0,5}(looks? like|will look|should look|means|counts as)\b",
    r"\b(decid\w*|agree\w*|work\w* out|figur\w* out|choos\w*) (on )?(how often|how frequently"
    r"|how and when|when and how|how (we|they|you|the team) (will|should|are going to)"
    r"|which channels?|who (will|should|does) (do )?what|the cadence)\b",
    r"\b(set|define|agree|establish)( up)? (the |our |clear )?(\w+ )?(measures|criteria"
    r"|metrics|kpis|targets|standards|thresholds)\b.*\b(before|in advance|beforehand)\b",
    r"\b(in advance|beforehand)\b.*\b(plan|decide|agree|define)\b",
    r"\b(lay|laying|map|mapping|sketch|sketching) (\w+ ){0,3}out\b",
    # "... now I need to turn it into a proper plan / work out the schedule and budget"
    r"\bnow (i|we) (need|have|want|'ve got|got) to (\w+ ){0,5}?(plan\w*|schedul\w*|budget\w*"
    r"|estimat\w*|baselin\w*|break (\w+ ){0,3}down|(a |the )?(proper |detailed |full )?"
    r"(plan|schedule|timeline|budget|wbs|work breakdown))\b",
)
# Work outside the agreed scope, and problems raised or escalated, stated as situations of
# delivery (scope creep and escalation are control activities).
_SCOPE_CREEP = (
    r"\b(raise|raises|raised|raising|escalat\w*) (a |an |the |this |that )?(problem|issue|concern"
    r"|blocker)s?\b",
    r"\b(problem|issue|concern|blocker)s? (\w+ ){0,2}(raised|escalated)\b",
    r"\b(never|not|wasn't|was not|weren't|were not|isn't|is not) (\w+ )?(in|part of|within)"
    r" (the |our )?(agreed |original |approved |signed-off |signed off )?(scope|plan|charter"
    r"|contract|requirements)\b",
    r"\b(extra|additional|unplanned|unapproved|unagreed|out-of-scope) (work|tasks|features"
    r"|requirements|requests|deliverables|bits)\b",
    r"\b(nobody|no one|never|not) (formally )?(agreed|approved|asked for|signed off|requested)\b",
)


def _extra_patterns() -> dict[str, list[str]]:
    out = _completion_patterns()
    out["design and plan"] += list(_PLANNING_INTENT)
    out["implement and control"] += list(_SCOPE_CREEP)
    return out


_NEIGHBOURS = _neighbour_patterns()
_EXTRA = _extra_patterns()
CUES: dict[str, tuple[re.Pattern[str], ...]] = {
    stage: tuple(re.compile(p) for p in (*patterns, *_NEIGHBOURS[stage], *_EXTRA[stage]))
    for stage, patterns in _RAW.items()
}


def stage_cues(question: str) -> dict[str, int]:
    """The lifecycle stages a question's time expressions point to (stage -> number of cues)."""
    lowered = question.lower().replace("’", "'")
    found: dict[str, int] = {}
    for stage, patterns in CUES.items():
        hits = sum(1 for pattern in patterns if pattern.search(lowered))
        if hits:
            found[stage] = hits
    return found
