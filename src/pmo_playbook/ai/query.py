"""Prepare a question for full-text search: filler words out, typos fixed, concepts added.

Typo correction maps a word that no indexed SOP contains to the closest word of the index's
vocabulary (one edit, two for words of 9+ letters), so "stakholder" finds "stakeholder" and
"isue" finds "issue", while real words stay as they are: words of the English word list
(`wordlist`: "found" is not "fund", "cover" is not "over"), and words shorter than 4 letters
(5 when the word list is unavailable).
"""

from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass

from pmo_playbook.ai.domain import STRONG_ANCHORS, WEAK_ANCHORS
from pmo_playbook.ai.lifecycle_glossary import STAGES
from pmo_playbook.ai.thesaurus import concepts, normalize
from pmo_playbook.ai.wordlist import english_words

# Conversational words that say nothing about the topic (PostgreSQL's English stop list already
# drops "how", "what", "do", "i", ...).
FILLER = frozenset(
    [
        "please",
        "help",
        "need",
        "needs",
        "want",
        "wants",
        "know",
        "tell",
        "explain",
        "way",
        "ways",
        "best",
        "good",
        "thing",
        "things",
        "get",
        "gets",
        "got",
        "make",
        "makes",
        "made",
        "use",
        "used",
        "using",
        "also",
        "would",
        "could",
        "should",
        "can",
        "like",
        "us",
        "me",
        "someone",
        "something",
        "mean",
        "means",
        "exactly",
        "really",
        "actually",
        "kind",
        "sort",
        "give",
        "show",
        "guide",
        "hi",
        "hello",
        "thanks",
        "thank",
        "question",
        "questions",
        "anyone",
        "everyone",
        "find",
        "look",
        "looking",
        "supposed",
        "typically",
        "usually",
        "normally",
        "properly",
        "go",
        "goes",
        "going",
        "gone",
        "went",
        "come",
        "comes",
        "coming",
        "came",
        "happen",
        "happens",
        "happened",
        "happening",
        "take",
        "takes",
        "took",
        "put",
        "puts",
        "keep",
        "keeps",
        "kept",
        "let",
        "lets",
        "say",
        "says",
        "said",
        "see",
        "sees",
        "seen",
        "seem",
        "seems",
        "think",
        "thinks",
        "try",
        "tries",
        "trying",
        "work",
        "works",
        "working",
        "done",
        "doing",
        "does",
        "did",
        "much",
        "many",
        "lot",
        "lots",
        "well",
        "just",
        "still",
        "even",
        "ever",
        "never",
        "always",
        "often",
        "sometimes",
        "already",
        "yet",
        "now",
        "then",
        "soon",
        "later",
        "today",
        "tomorrow",
        "yesterday",
        "new",
        "old",
        "big",
        "small",
        "little",
        "long",
        "short",
        "first",
        "last",
        "next",
        "whether",
        "our",
        "ours",
        "we",
        "you",
        "your",
        "yours",
        "they",
        "their",
        "them",
        "his",
        "her",
        "its",
        "one",
        "ones",
        "two",
        "three",
        "etc",
        "e.g",
        "i.e",
        "right",
        "wrong",
        "exact",
        "able",
        "possible",
        "sure",
        "okay",
        "ok",
        "yes",
        "hey",
        "dear",
        "kindly",
        "quick",
        "quickly",
        "fast",
        "example",
        "examples",
        "case",
        "cases",
        "part",
        "parts",
        "point",
        "points",
        "stuff",
        "bit",
        "step",
        "steps",
    ]
)
# Spellings people type that are not in any SOP, kept as correction targets.
EXTRA_TERMS = frozenset(
    [
        "kickoff",
        "signoff",
        "retrospective",
        "postmortem",
        "handover",
        "handoff",
        "gantt",
        "steerco",
        "timeline",
        "charter",
        "stakeholder",
        "governance",
        "closure",
        "lessons",
        "learned",
        "milestone",
        "escalation",
        "budget",
        "prepare",
        "retrospective",
        "transition",
        "operations",
        "benefits",
        "realization",
        "requirements",
        "approval",
        "approve",
        "sponsor",
        "schedule",
        "resources",
        "estimate",
        "planning",
        "execution",
        "implementation",
        "monitoring",
    ]
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9']*|[^A-Za-z]+")

_vocab_lock = threading.Lock()
_vocab_cache: dict[str, frozenset[str]] = {}


@dataclass(frozen=True)
class PreparedQuery:
    """The question as searched: corrected words, concept tokens, what was changed."""

    original: str
    text: str  # corrected, filler removed, concepts appended (goes to to_tsvector)
    corrected: str  # the question with typos fixed (for the embedding model)
    rest: str  # the corrected words that no concept ring explains
    pairs: tuple[str, ...]  # adjacent word pairs (phrase bonus)
    corrections: tuple[tuple[str, str], ...]


def _domain_terms() -> set[str]:
    """Project words a question may misspell that no SOP needs to contain: the lifecycle
    glossary (indexed with every SOP of its stage) and the domain anchors."""
    words = {w.lower() for terms in STAGES.values() for t in terms for w in t.split()}
    return words | set(STRONG_ANCHORS) | set(WEAK_ANCHORS)


def vocabulary_for(generation: str, load: object) -> frozenset[str]:
    """The correction vocabulary for an index generation (cached per process)."""
    with _vocab_lock:
        cached = _vocab_cache.get(generation)
        if cached is None:
            words = set(load()) if callable(load) else set()
            words.update(EXTRA_TERMS)
            words.update(_domain_terms())
            cached = frozenset(w for w in words if w.isalpha())
            _vocab_cache.clear()
            _vocab_cache[generation] = cached
        return cached


def _osa_distance(a: str, b: str) -> int:
    """Optimal-string-alignment edit distance (insert, delete, substitute, swap neighbours)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


_INFLECTIONS = ("s", "es", "d", "ed", "ing", "r", "er", "ly", "y", "t")


def _inflects(word: str, stem: str) -> bool:
    """True when `word` is `stem` plus a common English inflection: "approved"/"approve",
    "approving"/"approve", "planned"/"plan" (doubled consonant), "priorities"/"priority"."""
    if word.startswith(stem):
        rest = word[len(stem) :]
        doubled = bool(rest) and rest[0] == stem[-1] and rest[1:] in ("ed", "ing", "er")
        return rest in _INFLECTIONS or doubled
    if stem.endswith("e") and word.startswith(stem[:-1]):
        return word[len(stem) - 1 :] in ("ing", "ed")
    if stem.endswith("y") and word.startswith(stem[:-1]):
        return word[len(stem) - 1 :] in ("ies", "ied")
    return False


def _correct(word: str, vocabulary: frozenset[str]) -> str:
    """The vocabulary word one edit away (two for 9+ letters), else the word itself: a real
    word that is merely close ("chart" / "charter") is two edits away and stays, and a word of
    the English word list (`wordlist`) is never changed; with that list, 4-letter words are
    corrected too ("isue" -> "issue"), without it only words of 5+ letters."""
    lower = word.lower()
    english = english_words()
    if lower in vocabulary or lower in FILLER or lower in english:
        return lower  # a known or real English word is never a typo ("found" is not "fund")
    if len(lower) < (4 if english else 5):
        return lower  # short words: one edit turns too many real words into others
    allowed = 2 if len(lower) >= 9 else 1
    candidates = difflib.get_close_matches(lower, vocabulary, n=5, cutoff=0.7)
    if any(_inflects(lower, c) or _inflects(c, lower) for c in candidates):
        # "approved" is not a typo of "approve", nor "learn" of "learnt": real words stay
        return lower
    for candidate in candidates:
        if len(candidate) >= 4 and _osa_distance(lower, candidate) <= allowed:
            return candidate
    return lower


def _drop_filler(text: str) -> str:
    return " ".join(w for w in re.findall(r"[a-z0-9][a-z0-9/'-]*", text) if w not in FILLER)


def prepare(question: str, vocabulary: frozenset[str]) -> PreparedQuery:
    """Correct typos against `vocabulary`, detect concepts on the whole question, then drop
    filler words from what is matched word by word."""
    out: list[str] = []
    corrections: list[tuple[str, str]] = []
    for piece in _WORD.findall(question):
        if not piece[0].isalpha():
            out.append(piece)
            continue
        fixed = _correct(piece, vocabulary)
        if fixed != piece.lower():
            corrections.append((piece.lower(), fixed))
        out.append(fixed)
    corrected = normalize(re.sub(r"\s+", " ", "".join(out)).strip())
    tokens, rest = concepts(corrected)
    words = _drop_filler(corrected)
    pairs = tuple(f"{a} {b}" for a, b in zip(words.split(), words.split()[1:], strict=False))
    expanded = f"{words} {' '.join(tokens)}".strip()
    return PreparedQuery(
        question, expanded, corrected, _drop_filler(rest), pairs, tuple(corrections)
    )
