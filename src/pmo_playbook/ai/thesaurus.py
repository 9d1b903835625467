"""Project-management vocabulary: synonym rings mapped to concept tokens.

PostgreSQL's English stemmer knows grammar, not PM jargon: "kickoff" and "kick-off", "lessons
learnt" and "retrospective", "scope creep" and "change control" share no lexeme. Each ring below
maps its phrasings to one concept token. The same expansion is applied to the SOP text when the
index is built and to the question when it is asked, so the rings are symmetric: a ring helps
whenever the question and a SOP use different members of it, whatever the SOP's wording. The
tokens carry a `zk` prefix so they never collide with a real word.

The rings are general PM vocabulary (PMBOK/PRINCE2 usage), not a list of the seed SOPs' lines.
"""

from __future__ import annotations

import re

# concept token -> patterns (regular expressions over lower-cased text, word-bounded)
_RINGS: dict[str, tuple[str, ...]] = {
    "zkpreinit": (
        r"preinitiat\w*",
        r"before (?:the )?(?:formal )?initiation",
        r"before (?:a |the )?project (?:is )?(?:formally )?(?:start\w*|initiat\w*|approv\w*)",
        r"idea stage",
        r"ideation",
    ),
    "zkestablish": (
        r"set(?:ting)?[\s-]?up",
        r"establish\w*",
        r"initial(?:ly)?",
        r"get(?:ting)? started",
    ),
    "zkcreate": (
        r"prepar\w+",
        r"build\w*",
        r"develop\w*",
        r"creat\w+",
        r"draft\w*",
        r"put together",
        r"come up with",
    ),
    "zkkickoff": (r"kick[\s-]?offs?", r"launch meeting", r"project launch", r"inception meeting"),
    "zkcharter": (
        r"charters?",
        r"terms of reference",
        r"project initiation document",
        r"\bpid\b",
        r"project brief",
    ),
    "zkraid": (
        r"raid",
        r"risks?,? assumptions?,? issues?,? (?:and )?dependenc\w*",
        r"(?:risk|issue|assumption|dependency|decision) logs?",
        r"issue registers?",
    ),
    "zkgonogo": (
        r"go\s*/\s*no[\s-]*go",
        r"go[\s-]+no[\s-]+go",
        r"go or no[\s-]?go",
        r"green[\s-]?light\w*",
        r"approve (?:it |them )?for initiation",
        r"funding decision",
        r"investment decision",
    ),
    "zkbusinesscase": (
        r"business case",
        r"business justification",
        r"cost[\s-]benefit",
        r"\broi\b",
        r"return on investment",
        r"justif\w+",
        r"value proposition",
    ),
    "zkintake": (
        r"intake",
        r"project requests?",
        r"new (?:project )?(?:idea|request)s?",
        r"idea brief",
        r"submit\w* (?:an? )?(?:new )?(?:idea|request|proposal)",
        r"demand management",
    ),
    "zkstrategy": (r"strategic\w*", r"strateg\w+", r"alignment", r"organi[sz]ational goals"),
    "zkestimate": (
        r"rough order of magnitude",
        r"\brom\b",
        r"ballpark",
        r"high[\s-]level estimat\w*",
        r"early cost",
        r"estimat\w+",
    ),
    "zkprioritise": (
        r"priorit\w+",
        r"portfolio",
        # choosing between candidate projects is portfolio prioritisation
        r"(?:rank|scor|compar)\w* (?:\w+ ){0,2}(?:projects|requests|ideas|proposals|initiatives)",
        r"competing (?:projects|requests|ideas|proposals|initiatives)",
    ),
    "zklessons": (
        r"lessons? learn[te]d?",
        r"retrospectives?",
        r"\bretros?\b",
        r"post[\s-]?mortems?",
        r"debrief\w*",
        r"after[\s-]action reviews?",
        r"what went (?:well|wrong|badly)",
        r"what (?:did not|didn't|did) go (?:well|wrong)",
    ),
    "zkclosure": (
        r"clos(?:e|ed|ing|ure)\b",
        r"close[\s-]?out",
        r"wrap[\s-]?(?:ping )?up",
        r"end of (?:the )?project",
        r"project end",
        r"finish(?:ed|ing)? (?:the |a )?project",
        r"decommission\w*",
    ),
    "zkhandover": (
        r"transition\w*",
        r"hand[\s-]?(?:over|off)s?",
        r"operations",
        r"\bops\b",
        r"business as usual",
        r"\bbau\b",
        r"support teams?",
        r"go[\s-]?live",
    ),
    "zkbenefits": (
        r"benefits?",
        r"value realis\w+",
        r"value realiz\w+",
        # whether the promised value arrived is benefits realisation
        r"(?:delivered|achieved|realised|realized) (?:the |its |our )?"
        r"(?:promised |expected )?value",
        r"value (?:\w+ )?(?:promised|expected)",
        r"\bkpis?\b",
        r"key performance indicators?",
        r"outcomes? measur\w+",
    ),
    "zkreview": (r"post[\s-]?implementation reviews?", r"\bpir\b", r"project review"),
    "zkstatus": (
        r"status(?:es)? (?:reports?|updates?)",
        r"progress (?:reports?|updates?)",
        r"(?:weekly|biweekly|bi-weekly|monthly) (?:reports?|updates?)",
        r"dashboards?",
        r"report(?:ing)? (?:on )?progress",
    ),
    "zkchange": (
        r"change requests?",
        r"change control",
        r"change orders?",
        r"scope (?:creep|changes?)",
        r"variation requests?",
        r"extra (?:features|requirements|work|scope)",
        r"new requirements",
    ),
    "zkschedule": (
        r"schedul\w*",
        r"timelines?",
        r"gantt",
        r"time ?plan",
        r"road ?maps?",
        r"deadlines?",
        # ordering work and finding what drives the end date is scheduling
        r"sequenc\w*",
        r"critical path",
        r"(?:drive|drives|determine|determines) the (?:end|finish|completion) date",
        r"how long (?:\w+ ){0,5}(?:take|takes|last|lasts)",
    ),
    "zkmilestone": (r"milestones?",),
    "zkwbs": (
        r"\bwbs\b",
        r"work breakdown",
        r"task breakdown",
        r"break(?:ing)? down (?:the )?(?:work|tasks)",
        # the same act in other word orders: "break the work down", "split it into chunks"
        r"break(?:ing|s)? (?:the |our |this )?(?:work|project|scope|it|deliverables) down",
        r"(?:split|divide|chop)\w* (?:\w+ ){0,4}into (?:\w+ )?"
        r"(?:tasks|chunks|pieces|parts|work packages|packages|activities)",
        r"decompos\w+",
    ),
    "zkbudget": (
        r"budget\w*",
        r"costs?\b",
        r"costing",
        r"spend\w*",
        r"financ\w+",
        r"funding",
        r"money",
    ),
    "zkresource": (
        r"resourc\w+",
        r"staffing",
        r"headcount",
        r"capacity",
        r"project team",
        r"allocat\w+ (?:people|staff|team)",
    ),
    "zkstakeholder": (
        r"stakeholders?",
        r"interested parties",
        # the people a project affects are its stakeholders
        r"(?:everyone|everybody|people|groups?|teams?|anyone|who) (?:\w+ )?(?:is |are |gets? )?"
        r"(?:affected|impacted) by",
        r"who (?:is|are|will be) (?:affected|impacted)",
    ),
    "zkgovernance": (
        r"governance",
        r"steering",
        r"steerco",
        r"oversight",
        r"project boards?",
    ),
    "zkcomms": (r"communicat\w+", r"\bcomms\b"),
    "zkrisk": (r"risks?", r"threats?", r"mitigat\w+", r"contingenc\w+"),
    "zkissue": (
        r"escalat\w+",
        r"issues?",
        r"blockers?",
        # a defect found in testing is logged and managed as an issue
        r"defects?",
        r"problems? on the project",
        # raising a problem to someone is escalating it
        r"rais(?:e|es|ed|ing) (?:a |an |the |this |that )?(?:problem|concern)s?",
        r"(?:problem|concern)s? (?:\w+ ){0,2}raised",
    ),
    "zkexecution": (
        r"execut\w+",
        r"implement(?:ing|ation)?\b",
        r"in[\s-]?flight",
        r"delivery phase",
        r"build phase",
        r"while the project is running",
    ),
    "zkcontrol": (r"monitor\w*", r"track\w*", r"progress", r"variance", r"controll?\w*"),
    "zkplanning": (r"planning", r"project plan", r"plan(?:s)?\b", r"baselin\w+"),
    "zksignoff": (
        r"sign[\s-]?off",
        r"signs? off",
        r"signed off",
        r"accept\w*",
        r"approv\w+",
    ),
    "zkquality": (r"quality", r"\bqa\b", r"acceptance criteria", r"metrics?"),
    "zkpmassign": (
        r"(?:assign|appoint|name|nominat)\w* (?:an? |the )?(?:project manager|pm)",
        r"(?:named|appointed|assigned) (?:as )?(?:an? |the )?(?:project manager|pm)",
    ),
    "zktemplate": (r"templates?", r"forms?\b", r"checklists?", r"tools?\b"),
    "zkarchive": (r"archiv\w+", r"documentation", r"record[\s-]?keeping"),
}

_COMPILED: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (token, re.compile(r"(?<![a-z0-9])(?:" + "|".join(patterns) + r")(?![a-z0-9])"))
    for token, patterns in _RINGS.items()
)
_PHASE = re.compile(r"\bphase\s*(?:#|no\.?\s*)?([1-5])\b")


# (Not after an apostrophe: "we're midway" is a contraction, not the prefix "re".)
_JOINED_PREFIX = re.compile(r"(?<!['’])\b(pre|post|non|sub|re)[\s-](?=[a-z])")
# PostgreSQL's parser reads "risk/benefit" or "operations/support" as ONE file-path token, so
# neither word would be searchable: slashes between words become separate tokens.
_SLASH = re.compile(r"(?<=[a-z0-9])\s*/\s*(?=[a-z])")


def normalize(text: str) -> str:
    """Lower-case and join prefixes ("pre-initiation" → "preinitiation") so a prefixed word
    never counts as its stem: pre-initiation is not initiation. Split slash-joined words."""
    return _SLASH.sub(" / ", _JOINED_PREFIX.sub(r"\1", text.lower()))


def concepts(text: str) -> tuple[list[str], str]:
    """The concept tokens `text` mentions (once each, ring order), and the text with the
    matched phrases blanked out (the words no ring explains)."""
    lowered = normalize(text)
    found: list[str] = []
    rest = lowered
    for token, pattern in _COMPILED:
        if pattern.search(lowered):
            found.append(token)
            rest = pattern.sub(" ", rest)
    for m in _PHASE.finditer(lowered):
        found.append(f"zkphase{m.group(1)}")
        rest = rest.replace(m.group(0), " ")
    return list(dict.fromkeys(found)), rest


def concept_tokens(text: str) -> list[str]:
    """The concept tokens of every ring that `text` mentions."""
    return concepts(text)[0]


def expand(text: str) -> str:
    """Normalised `text` followed by its concept tokens (what goes into to_tsvector)."""
    tokens = concept_tokens(text)
    base = normalize(text)
    return f"{base} {' '.join(tokens)}" if tokens else base
