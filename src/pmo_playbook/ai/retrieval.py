"""Pick the SOP that answers a question, its best passages, and a calibrated confidence.

Full-text search in PostgreSQL always runs (see repositories/sop_search.py for the scoring).
When the server has pgvector and the embedding model is installed, SOPs are also ranked by
cosine similarity (best passage blended with the best glossary line of the SOP's stage, see
`stage_semantics`) and both signals are fused at score level (see `_fuse`).

Confidence is a logistic function of evidence that transfers across questions: how much of the
question's informative vocabulary (IDF mass) the chosen SOP covers, how strongly it matches,
how far it leads the runner-up and, in hybrid mode, the semantic similarity. Below
`REFUSAL_THRESHOLD` no SOP is selected and the answerers say so instead of guessing.

Finally a learned lifecycle-stage prior (`stage_prior`, `stage_classifier`) may confirm or
replace the pick when it is confident about the question's stage (not for questions the domain
verdict puts out of scope).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import psycopg

from pmo_playbook.ai import embeddings, indexer, stage_prior, stage_semantics
from pmo_playbook.ai.artefacts import artefact_stages
from pmo_playbook.ai.domain import DomainVerdict, assess
from pmo_playbook.ai.lifecycle_glossary import stage_of
from pmo_playbook.ai.query import prepare, vocabulary_for
from pmo_playbook.ai.stage_cues import stage_cues
from pmo_playbook.repositories.sop_search import SectionScore, SopScore, SopSearchRepository

REFUSAL_THRESHOLD = 0.35
SEMANTIC_WEIGHT = 1.0
SEMANTIC_TEMPERATURE = 0.07
SEMANTIC_NOISE = 0.3
MAX_SECTIONS = 5
# A lifecycle-time cue ("halfway through", "once the project is done") adds this share of the
# full-text leader's score to every SOP of the cued stage (and this much fused score in hybrid).
CUE_BOOST = 1.0
# An in-domain question whose best match is weak still gets its best SOP, at this confidence,
# answered as the *closest* procedure; an out-of-scope one is held below the threshold unless
# its match is at least OUT_OF_SCOPE_KEEP.
IN_DOMAIN_FLOOR = 0.4
OUT_OF_SCOPE_KEEP = 0.8
RESCUE_MIN_COVERAGE = 0.2
_METHODS = {"fulltext": "full-text", "hybrid": "hybrid full-text and semantic"}


@dataclass(frozen=True)
class SopRef:
    """The selected SOP as the API shows it (attribution.selectedSOP)."""

    sop_id: str
    title: str
    phase: int


@dataclass(frozen=True)
class Retrieval:
    """What the answerers get."""

    question: str
    sop: SopRef | None
    confidence: float
    reasoning: str
    sections: list[SectionScore]
    candidates: list[SopRef] = field(default_factory=list)
    method: str = "fulltext"
    features: dict[str, float] = field(default_factory=dict)
    closest: bool = False  # in-domain question with a weak match: the closest SOP, not a sure one


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _idf(df: int, total: int) -> float:
    return math.log((total + 1) / (df + 0.5))


def fulltext_confidence(coverage: float, score: float, margin: float) -> float:
    """P(correct) from full-text evidence. Coverage gates everything: an accidental match of
    one word of a long off-topic question stays low however clear its lead."""
    if score <= 0:
        return 0.0
    z = -4.0 + 5.0 * coverage + 1.2 * math.log1p(score) + 1.0 * margin
    return _sigmoid(z)


def semantic_confidence(similarity: float) -> float:
    """P(on-topic) from the best passage's cosine similarity (MiniLM: unrelated < 0.2)."""
    return _sigmoid(14.0 * (similarity - 0.38))


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def hybrid_confidence(fulltext: float, similarity: float, agree: bool) -> float:
    """Evidence pooled in log-odds: strong full-text evidence survives a weak semantic match
    (typos, jargon), and both weak stays weak."""
    z = 0.75 * _logit(fulltext) + 0.5 * _logit(semantic_confidence(similarity))
    return _sigmoid(z if agree else z - 0.5)


def _fulltext(
    repo: SopSearchRepository, text: str, rest: str, pairs: tuple[str, ...]
) -> tuple[list[SopScore], dict[str, Any]]:
    lexemes, total = repo.query_lexemes(text, rest)
    if not lexemes or total == 0:
        return [], {"lexemes": [], "idfs": [], "mass": 0.0, "idf_of": {}, "counted": set()}
    known = [(lex, _idf(df, total)) for lex, df, _ in lexemes if df > 0]
    counted = {lex for lex, _, in_rest in lexemes if in_rest or lex.startswith("zk")}
    # A word no SOP contains weighs like the rarest indexed word: it may be the topic.
    mass = sum(_idf(max(df, 1), total) for lex, df, _ in lexemes if lex in counted)
    ranked = repo.rank_sops([k for k, _ in known], [v for _, v in known], pairs) if known else []
    info = {
        "lexemes": [k for k, _ in known],
        "idfs": [v for _, v in known],
        "mass": mass,
        "idf_of": dict(known),
        "counted": counted,
    }
    return ranked, info


def _coverage(top: SopScore, info: dict[str, Any]) -> float:
    """Share of the question's informative mass (IDF of its words and concepts) the SOP has."""
    mass = float(info["mass"])
    if mass <= 0:
        return 0.0
    idf_of: dict[str, float] = info["idf_of"]
    got = sum(idf_of.get(lex, 0.0) for lex in top.matched if lex in info["counted"])
    return min(1.0, got / mass)


def _semantic(
    repo: SopSearchRepository, headers: dict[str, tuple[str, int]], question: str
) -> tuple[list[tuple[str, float]], list[float] | None]:
    """Blended semantic scores per SOP, and the question's vector (for the stage prior)."""
    model = embeddings.get_model()
    if model is None or not repo.has_embeddings():
        return [], None
    vector = model.encode([question])[0]
    sims = repo.nearest_sops(embeddings.to_literal(vector), model.name)
    if not sims:
        return sims, vector
    stages = stage_semantics.stage_similarities(model, vector)
    return stage_semantics.blend(sims, headers, stages), vector


def semantic_trust(best_similarity: float) -> float:
    """How much the semantic ranking is worth: nothing when even the best passage is barely
    similar (MiniLM cosine below SEMANTIC_NOISE: differences between SOPs are then noise that
    the softmax would sharpen), fully from SEMANTIC_NOISE + 0.15 up, linear between."""
    return min(1.0, max(0.0, (best_similarity - SEMANTIC_NOISE) / 0.15))


def _fuse(
    ranked: list[SopScore], sims: list[tuple[str, float]], bonus: dict[str, float] | None = None
) -> list[str]:
    """Score-level fusion of both signals, each as a distribution over the SOPs.

    Full-text scores are divided by the leader's (so the runner-up sits at 1 - margin: a clear
    full-text lead needs a clear semantic preference to be overturned, a near-tie is decided by
    semantics); cosine similarities become a softmax with temperature `SEMANTIC_TEMPERATURE`
    (close to the contrastive temperature the model was trained with), weighted
    `SEMANTIC_WEIGHT`. SOPs absent from a ranking get 0 full-text / the lowest similarity."""
    top = ranked[0].score if ranked and ranked[0].score > 0 else 1.0
    lexical = {s.sop_id: s.score / top for s in ranked}
    floor = min(sim for _, sim in sims)
    similarity = dict(sims)
    ids = set(lexical) | set(similarity)
    exps = {i: math.exp((similarity.get(i, floor) - floor) / SEMANTIC_TEMPERATURE) for i in ids}
    total = sum(exps.values())
    extra = bonus or {}
    weight = SEMANTIC_WEIGHT * semantic_trust(max(sim for _, sim in sims))
    fused = {i: lexical.get(i, 0.0) + weight * exps[i] / total + extra.get(i, 0.0) for i in ids}
    return sorted(fused, key=lambda i: (-fused[i], i))


def _chosen_fulltext_confidence(
    ranked: list[SopScore], chosen: str, info: dict[str, Any], features: dict[str, float]
) -> float:
    """Full-text confidence for the SOP the fusion chose: its own coverage and score (not the
    full-text leader's), with no lead when it was not the full-text leader."""
    if ranked and ranked[0].sop_id == chosen:
        return fulltext_confidence(features["coverage"], features["score"], features["margin"])
    mine = next((s for s in ranked if s.sop_id == chosen), None)
    if mine is None or mine.score <= 0:
        return 0.0
    return fulltext_confidence(_coverage(mine, info), mine.score, 0.0)


def _cue_bonus(
    headers: dict[str, tuple[str, int]], cues: dict[str, int]
) -> tuple[dict[str, float], dict[str, tuple[str, int]]]:
    """CUE_BOOST for every indexed SOP whose lifecycle stage the question's cues name, and the
    (title, phase) of those SOPs."""
    if not cues:
        return {}, {}
    cued = {i: h for i, h in headers.items() if stage_of(int(h[1]), h[0]) in cues}
    return {i: CUE_BOOST for i in cued}, cued


def _boosted(
    ranked: list[SopScore], bonus: dict[str, float], cued: dict[str, tuple[str, int]]
) -> list[SopScore]:
    """Full-text ranking with each cued SOP raised by its bonus x the leader's score (a cued
    SOP that matched no word joins the ranking with the bonus alone)."""
    if not bonus or not ranked:
        return ranked
    top = ranked[0].score
    raised = [
        SopScore(s.sop_id, s.title, s.phase, s.score + bonus.get(s.sop_id, 0.0) * top, s.matched)
        for s in ranked
    ]
    have = {s.sop_id for s in ranked}
    raised += [
        SopScore(i, title, phase, bonus[i] * top, ())
        for i, (title, phase) in cued.items()
        if i not in have
    ]
    # a tie (a cued SOP that matched nothing sits exactly at the leader's score) goes to the cue
    return sorted(raised, key=lambda s: (-s.score, s.sop_id not in bonus, s.sop_id))


def _in_domain_confidence(
    confidence: float, verdict: DomainVerdict, cued: bool, coverage: float
) -> tuple[float, bool]:
    """(confidence, closest): the domain verdict applied to the retrieval's own confidence.

    A weak match of an in-domain question is kept (as the *closest* SOP) only when something
    points at a stage (`cued`): a lifecycle-time cue or an artefact of the chosen SOP's own
    stage (`artefacts`), or at least RESCUE_MIN_COVERAGE of the question's
    informative words in that SOP. Without either, the pick was wrong more often than right
    on every question set, so the question is refused instead."""
    if verdict.out_of_scope is not None and confidence < OUT_OF_SCOPE_KEEP:
        return min(confidence, REFUSAL_THRESHOLD - 0.05), False
    rescuable = cued or coverage >= RESCUE_MIN_COVERAGE
    if verdict.in_domain and rescuable and confidence < REFUSAL_THRESHOLD:
        return IN_DOMAIN_FLOOR, True
    return confidence, False


def _names_its_artefact(
    headers: dict[str, tuple[str, int]], order: list[str], question: str
) -> bool:
    """True when the question names an artefact of the chosen SOP's own stage (a baseline for
    the planning SOP): for the in-domain rescue this points at a stage like a time cue does."""
    stages = artefact_stages(question)
    if not stages or not order:
        return False
    header = headers.get(order[0])
    return header is not None and stage_of(int(header[1]), header[0]) in stages


def _ranking_features(ranked: list[SopScore], info: dict[str, Any]) -> dict[str, float]:
    """Coverage, score and relative lead of the full-text leader (empty without a match)."""
    if not ranked:
        return {}
    top = ranked[0]
    second = ranked[1].score if len(ranked) > 1 else 0.0
    return {
        "coverage": _coverage(top, info),
        "score": top.score,
        "margin": (top.score - second) / top.score if top.score > 0 else 0.0,
    }


def _hybrid(
    ranked: list[SopScore],
    sims: list[tuple[str, float]],
    bonus: dict[str, float],
    info: dict[str, Any],
    features: dict[str, float],
) -> tuple[list[str], float]:
    """Fused order and pooled confidence. When both signals agree on the SOP, the pooled
    confidence is never below the full-text one; when semantics moved the choice to a SOP it
    cannot back with enough confidence, the full-text choice stands (semantics may change an
    answer, never turn an accepted full-text answer into a refusal)."""
    order = _fuse(ranked, sims, bonus)
    features["similarity"] = dict(sims).get(order[0], 0.0)
    agree = bool(ranked) and ranked[0].sop_id == order[0]
    ft_conf = _chosen_fulltext_confidence(ranked, order[0], info, features)
    confidence = hybrid_confidence(ft_conf, features["similarity"], agree)
    if agree:
        return order, max(confidence, ft_conf)
    leader_conf = fulltext_confidence(**_ranking_features(ranked, info)) if ranked else 0.0
    if confidence < REFUSAL_THRESHOLD <= leader_conf:
        features["similarity"] = dict(sims).get(ranked[0].sop_id, 0.0)
        leader = [s.sop_id for s in ranked]
        return leader + [i for i in order if i not in leader], leader_conf
    return order, confidence


def retrieve(
    conn: psycopg.Connection[Any], question: str, *, refresh: bool = True, semantic: bool = True
) -> Retrieval:
    """Rank the agent SOPs for `question` (refreshing stale index rows first)."""
    if refresh:
        indexer.ensure_fresh(conn, with_embeddings=semantic)
    repo = SopSearchRepository(conn)
    vocabulary = vocabulary_for(repo.generation(), repo.vocabulary)
    prepared = prepare(question, vocabulary)
    cues = stage_cues(prepared.corrected)
    verdict = assess(prepared.corrected, has_stage_cue=bool(cues))
    plain, info = _fulltext(repo, prepared.text, prepared.rest, prepared.pairs)
    headers = repo.all_headers()  # (title, phase) of every SOP, read once for the question
    bonus, cued = _cue_bonus(headers, cues)
    ranked = _boosted(plain, bonus, cued)
    sims, vector = _semantic(repo, headers, prepared.corrected) if semantic else ([], None)
    features = _ranking_features(ranked, info)
    confidence = fulltext_confidence(**features) if features else 0.0
    order, method = [s.sop_id for s in ranked], "fulltext"
    if sims:
        method = "hybrid"
        order, confidence = _hybrid(ranked, sims, bonus, info, features)
    pointed = bool(cues) or _names_its_artefact(headers, order, prepared.corrected)
    confidence, closest = _in_domain_confidence(
        confidence, verdict, pointed, features.get("coverage", 0.0)
    )
    if verdict.out_of_scope is None:
        order, confidence, closest = stage_prior.apply(
            headers,
            question,
            vector,
            (order, confidence, closest),
            features,
            refusal=REFUSAL_THRESHOLD,
            in_domain=verdict.in_domain,
        )
    features.update(anchors=verdict.anchors, cues=float(len(cues)), closest=float(closest))
    return _result(
        repo, headers, prepared.text, question, order, confidence, method, features, info
    )


def _result(
    repo: SopSearchRepository,
    headers: dict[str, tuple[str, int]],
    text: str,
    question: str,
    order: list[str],
    confidence: float,
    method: str,
    features: dict[str, float],
    info: dict[str, Any],
) -> Retrieval:
    candidates = [SopRef(s, *headers[s]) for s in order[:5] if s in headers]
    confidence = round(max(0.0, min(1.0, confidence)), 3)
    if not candidates or confidence < REFUSAL_THRESHOLD:
        reason = "No SOP matches this question closely enough" + (
            f" (best candidate {candidates[0].sop_id}, confidence {confidence:.2f})."
            if candidates
            else "."
        )
        return Retrieval(question, None, confidence, reason, [], candidates, method, features)
    best = candidates[0]
    sections = repo.rank_sections(best.sop_id, info["lexemes"], info["idfs"])
    chosen = [s for s in sections if s.score > 0][:MAX_SECTIONS]
    closest = features.get("closest", 0.0) > 0
    reason = (
        ("Closest match (weak): " if closest else "")
        + f"Selected {best.sop_id} ({best.title}) by {_METHODS[method]} search"
        + (" and the question's lifecycle-stage cue" if features.get("cues", 0.0) else "")
        + f": {len(chosen)} matching passage(s)"
        + (f", ahead of {candidates[1].sop_id}" if len(candidates) > 1 else "")
        + "."
    )
    return Retrieval(
        question, best, confidence, reason, chosen, candidates, method, features, closest
    )
