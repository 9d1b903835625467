"""Pick the SOP that answers a question from passage evidence, and the passages that answer it.

Nothing here knows any particular library: every signal comes from the SOPs in the database.

0. Misspelt words are corrected to the library's own vocabulary (`spelling.Speller`).
1. Full-text (PostgreSQL): the question is parsed with `to_tsvector('english')` like the
   passages; the GIN index returns the passages sharing a lexeme, with term frequencies, and
   each passage is scored with BM25 (IDF and length normalisation over the passages of its
   kind: outline, section, unit).
2. Semantic (when the model is installed): cosine similarity of the question's vector to every
   passage vector, computed in the process over the stored `real[]` vectors (no pgvector).
3. SOP choice: each SOP's best section and best unit under each signal, fused at score level
   (`_fuse`; measured better than reciprocal rank fusion, which throws the gaps away).
4. Declining: the question is declined (no SOP) when the evidence for the chosen SOP is weak:
   in hybrid mode the similarity of its closest units plus its fused lead over the runner-up;
   full-text only, the share of the question's informative words (IDF mass) it contains.
5. Answer passages: units of the chosen SOP (and of a runner-up whose evidence is almost as
   strong) ranked by the same two signals.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg

from pmo_playbook.ai import embeddings, indexer
from pmo_playbook.ai.passages import OUTLINE, SECTION, UNIT
from pmo_playbook.ai.spelling import Speller
from pmo_playbook.repositories.sop_passages import SopPassageRepository, StoredPassage

BM25_K1, BM25_B = 1.2, 0.75
# SOP choice: the best section and the best unit of each SOP, both signals (see `_fuse`).
FUSED_KINDS = (SECTION, UNIT)
LEXICAL_WEIGHT, DENSE_WEIGHT, DENSE_TEMPERATURE = 1.0, 1.0, 0.2
EVIDENCE_DEPTH = 2  # a SOP's evidence of one kind: the mean of its best two passages
# Declining (hybrid): evidence = the mean cosine of the chosen SOP's EVIDENCE_UNITS closest
# units + MARGIN_WEIGHT x its fused lead over the runner-up must reach MIN_EVIDENCE. The lead
# carries what the cosine alone misses on libraries of terse SOPs (short list items score low
# cosines even when on topic): an off-topic question has no SOP standing out. Full-text only,
# the share of the question's IDF mass the SOP contains must reach MIN_COVERAGE_FULLTEXT.
# Chosen on the development library and the bundled five together: the setting with the most
# on-topic questions answered while declining >= 90 % of both sets' off-topic questions.
EVIDENCE_UNITS = 3
MARGIN_WEIGHT = 0.2
MIN_EVIDENCE = 0.45
MIN_COVERAGE_FULLTEXT = 0.3
MAX_UNITS = 6
UNIT_KEEP_RATIO = 0.6  # units scoring at least this share of the best unit are quoted
UNIT_LEXICAL_WEIGHT = 0.5  # answer units: dense similarity + this x relative BM25
RUNNER_UP_RATIO = 0.9  # a second SOP is quoted too when its fused score is this close
_METHODS = {"fulltext": "full-text", "hybrid": "hybrid full-text and semantic"}


@dataclass(frozen=True)
class SopRef:
    """The selected SOP as the API shows it (attribution.selectedSOP)."""

    sop_id: str
    title: str
    phase: int


@dataclass(frozen=True)
class Hit:
    """A passage quoted in the answer, with its score for this question."""

    sop_id: str
    section: str
    body: str
    position: int
    score: float


@dataclass(frozen=True)
class Retrieval:
    """What the answerers get."""

    question: str
    sop: SopRef | None
    confidence: float
    reasoning: str
    passages: list[Hit]
    candidates: list[SopRef] = field(default_factory=list)
    method: str = "fulltext"
    features: dict[str, float] = field(default_factory=dict)
    sop_units: tuple[tuple[str, str], ...] = ()  # (section, text) of every unit of the SOP


@dataclass
class _Corpus:
    """The passage index held in memory (one copy per index generation)."""

    passages: list[StoredPassage]
    row_of: dict[int, int]
    kind: np.ndarray
    lengths: np.ndarray
    matrix: np.ndarray | None  # unit vectors, one row per passage (None without vectors)
    headers: dict[str, tuple[str, int]]
    sop_rows: dict[str, np.ndarray]
    speller: Speller  # the library's vocabulary: misspelt question words corrected to it

    def count(self, kind: str) -> int:
        return int((self.kind == kind).sum())


_cache: dict[str, Any] = {}
_cache_lock = threading.Lock()


def _corpus(repo: SopPassageRepository, model: embeddings.MiniLM | None) -> _Corpus:
    model_name = model.name if model else None
    key = (repo.generation(), model_name)
    with _cache_lock:
        if _cache.get("key") == key:
            corpus: _Corpus = _cache["corpus"]
            return corpus
    passages = repo.all_passages(model_name)
    headers = repo.headers()
    matrix = None
    if model_name and passages and all(p.embedding is not None for p in passages):
        matrix = np.array([p.embedding for p in passages], dtype=np.float32)
    rows: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(passages):
        rows[p.sop_id].append(i)
    corpus = _Corpus(
        passages=passages,
        row_of={p.id: i for i, p in enumerate(passages)},
        kind=np.array([p.kind for p in passages]),
        lengths=np.array([max(p.length, 1) for p in passages], dtype=np.float64),
        matrix=matrix,
        headers=headers,
        sop_rows={s: np.array(r) for s, r in rows.items()},
        speller=Speller((p.body for p in passages), model.words() if model else set()),
    )
    with _cache_lock:
        _cache["key"], _cache["corpus"] = key, corpus
    return corpus


def _bm25(
    corpus: _Corpus, matches: list[tuple[int, str, int]], lexemes: list[str]
) -> tuple[np.ndarray, dict[str, float], dict[int, set[str]]]:
    """BM25 of every passage (within its kind), the unit-level IDF of each question lexeme
    (for coverage), and the lexemes each passage matched."""
    n = len(corpus.passages)
    scores = np.zeros(n)
    per_kind_df: dict[tuple[str, str], int] = defaultdict(int)
    rows = [(corpus.row_of[pid], lex, tf) for pid, lex, tf in matches if pid in corpus.row_of]
    for row, lex, _ in rows:
        per_kind_df[(str(corpus.kind[row]), lex)] += 1
    avg = {
        k: float(corpus.lengths[corpus.kind == k].mean() or 1.0)
        for k in (OUTLINE, SECTION, UNIT)
        if corpus.count(k)
    }
    totals = {k: corpus.count(k) for k in avg}
    matched: dict[int, set[str]] = defaultdict(set)
    for row, lex, tf in rows:
        kind = str(corpus.kind[row])
        df, total = per_kind_df[(kind, lex)], totals[kind]
        idf = math.log(1 + (total - df + 0.5) / (df + 0.5))
        norm = BM25_K1 * (1 - BM25_B + BM25_B * corpus.lengths[row] / avg[kind])
        scores[row] += idf * tf * (BM25_K1 + 1) / (tf + norm)
        matched[row].add(lex)
    units = totals.get(UNIT, 1)
    idf_of = {
        lex: math.log(
            1 + (units - per_kind_df[(UNIT, lex)] + 0.5) / (per_kind_df[(UNIT, lex)] + 0.5)
        )
        for lex in lexemes
    }
    return scores, idf_of, matched


def _best_per_sop(corpus: _Corpus, scores: np.ndarray, kind: str) -> dict[str, float]:
    """Each SOP's evidence among its passages of `kind`: the mean of its EVIDENCE_DEPTH best
    (one strong passage plus support beats a single accidental match)."""
    out: dict[str, float] = {}
    for sop_id, rows in corpus.sop_rows.items():
        mine = rows[corpus.kind[rows] == kind]
        if len(mine):
            out[sop_id] = float(np.sort(scores[mine])[::-1][:EVIDENCE_DEPTH].mean())
    return out


def _fuse(corpus: _Corpus, lexical: np.ndarray, dense: np.ndarray | None) -> dict[str, float]:
    """Score-level fusion of each SOP's evidence, per kind (section, unit): full-text BM25
    divided by the best SOP's (so the runner-up sits at 1 - its relative gap), plus
    exp((cosine - best cosine) / DENSE_TEMPERATURE) (1 for the semantically closest SOP,
    falling off with the cosine gap). Unlike rank fusion this keeps how far ahead a SOP is."""
    fused: dict[str, float] = defaultdict(float)
    for kind in FUSED_KINDS:
        best = _best_per_sop(corpus, lexical, kind)
        top = max(best.values(), default=0.0)
        for sop_id, value in best.items():
            fused[sop_id] += LEXICAL_WEIGHT * (value / top if top > 0 else 0.0)
        if dense is None:
            continue
        closest = _best_per_sop(corpus, dense, kind)
        nearest = max(closest.values(), default=0.0)
        for sop_id, value in closest.items():
            fused[sop_id] += DENSE_WEIGHT * math.exp((value - nearest) / DENSE_TEMPERATURE)
    return dict(fused)


def _coverage(
    corpus: _Corpus, sop_id: str, idf_of: dict[str, float], matched: dict[int, set[str]]
) -> float:
    """Share of the question's IDF mass found in the SOP's passages."""
    total = sum(idf_of.values())
    if total <= 0:
        return 0.0
    found: set[str] = set()
    for row in corpus.sop_rows.get(sop_id, []):
        found |= matched.get(int(row), set())
    return sum(v for k, v in idf_of.items() if k in found) / total


def _normalised(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def _unit_hits(
    corpus: _Corpus, sop_id: str, lexical: np.ndarray, dense: np.ndarray | None
) -> list[Hit]:
    """The units of one SOP that answer the question best, in document order."""
    rows = corpus.sop_rows.get(sop_id, np.array([], dtype=int))
    rows = rows[corpus.kind[rows] == UNIT]
    if not len(rows):
        return []
    score = _normalised(lexical[rows])
    if dense is not None:
        score = UNIT_LEXICAL_WEIGHT * score + _normalised(np.clip(dense[rows], 0, None))
    if float(score.max()) <= 0:
        return []
    order = np.argsort(-score, kind="stable")
    seen: set[str] = set()  # a summary often repeats an objective word for word: quote it once
    keep: list[int] = []
    for i in order:
        body = corpus.passages[int(rows[i])].body
        if score[i] < UNIT_KEEP_RATIO * score[order[0]] or len(keep) == MAX_UNITS:
            break
        if body not in seen:
            seen.add(body)
            keep.append(i)
    hits = [corpus.passages[int(rows[i])] for i in keep]
    scores = {int(rows[i]): float(score[i]) for i in keep}
    return [
        Hit(p.sop_id, p.section, p.body, p.position, scores[corpus.row_of[p.id]])
        for p in sorted(hits, key=lambda p: p.position)
    ]


def _opening_units(corpus: _Corpus, sop_id: str) -> list[Hit]:
    rows = [int(r) for r in corpus.sop_rows.get(sop_id, []) if corpus.kind[int(r)] == UNIT]
    return [
        Hit(p.sop_id, p.section, p.body, p.position, 0.0)
        for p in (corpus.passages[r] for r in rows[:MAX_UNITS])
    ]


def retrieve(
    conn: psycopg.Connection[Any],
    question: str,
    *,
    refresh: bool = True,
    semantic: bool = True,
    within: set[str] | None = None,
) -> Retrieval:
    """Rank the SOPs for `question` (refreshing stale index rows first). `within` limits the
    choice to those SOPs and never declines (a project's current-phase SOP)."""
    if refresh:
        indexer.ensure_fresh(conn)
    repo = SopPassageRepository(conn)
    model = embeddings.get_model() if semantic else None
    corpus = _corpus(repo, model)
    if not corpus.passages:
        return Retrieval(question, None, 0.0, "No SOPs are indexed.", [])
    query = corpus.speller.correct(question)  # searched as corrected; answered as asked
    lexemes = repo.question_lexemes(query)
    lexical, idf_of, matched = _bm25(corpus, repo.matches(query) if lexemes else [], lexemes)
    dense = None
    method = "fulltext"
    if model is not None and corpus.matrix is not None:
        dense = corpus.matrix @ model.encode([query])[0]
        method = "hybrid"
    fused = _fuse(corpus, lexical, dense)
    if within is not None:
        fused = {s: v + 1.0 for s, v in fused.items() if s in within}
    if not fused:
        return _declined(question, corpus, [], 0.0, method, {})
    order = sorted(fused, key=lambda s: (-fused[s], s))
    best = order[0]
    coverage = _coverage(corpus, best, idf_of, matched)
    features = {"coverage": round(coverage, 3), "fused": round(fused[best], 4)}
    if dense is not None:
        similarity = _closest_units(corpus, best, dense)
        margin = fused[best] - fused[order[1]] if len(order) > 1 else fused[best]
        features["similarity"] = round(similarity, 3)
        features["margin"] = round(margin, 3)
        evidence = similarity + MARGIN_WEIGHT * margin
        accept = evidence >= MIN_EVIDENCE
        confidence = _sigmoid(10 * (evidence - MIN_EVIDENCE))
    else:
        accept = coverage >= MIN_COVERAGE_FULLTEXT
        confidence = _sigmoid(8 * (coverage - MIN_COVERAGE_FULLTEXT))
    accept = accept or within is not None
    confidence = max(confidence, 0.5) if accept else min(confidence, 0.34)
    candidates = [SopRef(s, *corpus.headers[s]) for s in order[:5] if s in corpus.headers]
    if not accept or not candidates:
        return _declined(question, corpus, candidates, confidence, method, features)
    hits = _unit_hits(corpus, best, lexical, dense)
    if not hits:  # nothing matched inside the SOP (a generic question): its opening units
        hits = _opening_units(corpus, best)
    if len(order) > 1 and fused[order[1]] >= RUNNER_UP_RATIO * fused[best]:
        hits += _unit_hits(corpus, order[1], lexical, dense)[:3]
    reason = (
        f"Selected {best} ({candidates[0].title}) by {_METHODS[method]} search over its "
        f"passages: {len(hits)} matching passage(s)"
        + (f", ahead of {candidates[1].sop_id}" if len(candidates) > 1 else "")
        + "."
    )
    units = tuple(
        (corpus.passages[int(r)].section, corpus.passages[int(r)].body)
        for r in corpus.sop_rows[best]
        if corpus.kind[int(r)] == UNIT
    )
    return Retrieval(
        question,
        candidates[0],
        round(confidence, 3),
        reason,
        hits,
        candidates,
        method,
        features,
        units,
    )


def _closest_units(corpus: _Corpus, sop_id: str, dense: np.ndarray) -> float:
    """Mean cosine of the SOP's EVIDENCE_UNITS units closest to the question."""
    rows = corpus.sop_rows[sop_id]
    units = rows[corpus.kind[rows] == UNIT]
    values = dense[units] if len(units) else dense[rows]
    return float(np.sort(values)[::-1][:EVIDENCE_UNITS].mean())


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _declined(
    question: str,
    corpus: _Corpus,
    candidates: list[SopRef],
    confidence: float,
    method: str,
    features: dict[str, float],
) -> Retrieval:
    reason = "No SOP matches this question closely enough" + (
        f" (best candidate {candidates[0].sop_id}, confidence {confidence:.2f})."
        if candidates
        else "."
    )
    return Retrieval(question, None, round(confidence, 3), reason, [], candidates, method, features)


def catalogue(conn: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    """(sopId, title) of every indexed SOP, by phase."""
    return [(s, h[0]) for s, h in SopPassageRepository(conn).headers().items()]
