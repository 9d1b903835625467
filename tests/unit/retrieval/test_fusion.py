"""Score-level fusion of full-text and semantic evidence (pure functions, no database)."""

from __future__ import annotations

from pmo_playbook.ai.retrieval import _chosen_fulltext_confidence, _fuse
from pmo_playbook.repositories.sop_search import SopScore


def _sop(sop_id: str, score: float, matched: tuple[str, ...] = ()) -> SopScore:
    return SopScore(sop_id, sop_id, 1, score, matched)


def test_semantics_decides_a_full_text_near_tie() -> None:
    ranked = [_sop("A", 2.0), _sop("B", 1.9)]
    sims = [("B", 0.60), ("A", 0.45), ("C", 0.40)]
    assert _fuse(ranked, sims)[0] == "B"


def test_clear_full_text_lead_survives_a_small_semantic_preference() -> None:
    ranked = [_sop("A", 5.0), _sop("B", 1.0)]
    sims = [("B", 0.52), ("A", 0.50), ("C", 0.30)]
    assert _fuse(ranked, sims)[0] == "A"


def test_strong_semantic_preference_overturns_a_moderate_lead() -> None:
    ranked = [_sop("A", 3.0), _sop("B", 1.5)]
    sims = [("B", 0.65), ("A", 0.40)]
    assert _fuse(ranked, sims)[0] == "B"


def test_sop_found_only_semantically_is_ranked() -> None:
    assert _fuse([], [("C", 0.7), ("A", 0.2)]) == ["C", "A"]


def test_confidence_uses_the_chosen_sops_own_coverage() -> None:
    info = {"mass": 2.0, "idf_of": {"x": 1.0, "y": 1.0}, "counted": {"x", "y"}}
    ranked = [_sop("A", 3.0, ("x", "y")), _sop("B", 1.0, ())]
    features = {"coverage": 1.0, "score": 3.0, "margin": 2 / 3}
    leader = _chosen_fulltext_confidence(ranked, "A", info, features)
    other = _chosen_fulltext_confidence(ranked, "B", info, features)
    absent = _chosen_fulltext_confidence(ranked, "Z", info, features)
    assert leader > 0.8
    assert 0.0 < other < leader
    assert absent == 0.0


def test_semantic_noise_cannot_overturn_a_full_text_lead() -> None:
    from pmo_playbook.ai.retrieval import semantic_trust

    ranked = [_sop("A", 2.0), _sop("B", 1.5)]
    weak = [("B", 0.34), ("A", 0.25)]  # every passage barely similar: the preference is noise
    strong = [("B", 0.64), ("A", 0.55)]  # the same gap among real matches counts
    assert _fuse(ranked, weak)[0] == "A"
    assert _fuse(ranked, strong)[0] == "B"
    assert semantic_trust(0.2) == 0.0 and semantic_trust(0.6) == 1.0
    assert 0.0 < semantic_trust(0.38) < 1.0


def test_lifecycle_cue_bonus_is_added_in_fusion() -> None:
    ranked = [_sop("A", 2.0), _sop("B", 1.2)]
    sims = [("A", 0.55), ("B", 0.50)]
    assert _fuse(ranked, sims)[0] == "A"
    assert _fuse(ranked, sims, {"B": 1.0})[0] == "B"


def test_semantics_never_turns_an_accepted_full_text_answer_into_a_refusal() -> None:
    from pmo_playbook.ai.retrieval import REFUSAL_THRESHOLD, _hybrid

    info = {"mass": 2.0, "idf_of": {"x": 1.0, "y": 1.0}, "counted": {"x", "y"}}
    ranked = [_sop("A", 3.0, ("x", "y")), _sop("B", 2.0, ())]
    sims = [("B", 0.50), ("A", 0.30)]  # semantics prefers B, which explains no question word
    features: dict[str, float] = {"coverage": 1.0, "score": 3.0, "margin": 1 / 3}
    assert _fuse(ranked, sims)[0] == "B"  # the fusion alone would move the choice
    order, confidence = _hybrid(ranked, sims, {}, info, features)
    assert order[0] == "A" and confidence >= REFUSAL_THRESHOLD
    assert features["similarity"] == 0.30  # reported for the SOP actually chosen
