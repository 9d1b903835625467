"""A learned lifecycle-stage prior: which stage (1-5) a question is about, or off-topic.

Hand-written cues (`stage_cues`, `domain`) reach 96-100 % on the question lists they were
tuned with but clearly less on a fresh list. This prior is learned instead: a multinomial
logistic regression over the question's words (TF-IDF unigrams + bigrams) and, in hybrid
mode, a second one over its MiniLM embedding, whose probabilities are averaged. It is trained
by scripts/train_stage_classifier.py (see `stage_training`) on the questions of
tests/eval/*.jsonl and shipped as ai/data/stage_classifier.json, which also records the
training files and their sha256 (a test fails when a list changed without retraining).

`retrieval` lets the prior override the ranking's pick when its top stage probability is at
least `PRIOR_THRESHOLD` (chosen by leave-one-set-out, see docs/chat.md).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

CLASSES: tuple[int | None, ...] = (1, 2, 3, 4, 5, None)  # lifecycle stages, then off-topic
SCALE = 10.0  # features are multiplied by this before the linear layer (training and use)
PRIOR_THRESHOLD = 0.7
_WORD = re.compile(r"[a-z]+")
_lock = threading.Lock()
_cache: dict[str, Any] = {}


def tokens(question: str) -> list[str]:
    """Lower-cased words and adjacent word pairs ("risk", "risk_register")."""
    words = _WORD.findall(question.lower())
    return words + [f"{a}_{b}" for a, b in itertools.pairwise(words)]


@dataclass(frozen=True)
class LinearModel:
    """Weights (features x classes) and bias of one logistic regression."""

    weights: Any
    bias: Any


@dataclass(frozen=True)
class StageClassifier:
    """The words model (always) and the embedding model (optional), with their vocabulary."""

    vocabulary: dict[str, int]
    idf: Any
    words: LinearModel
    embedding: LinearModel | None = None
    training: list[dict[str, str]] = field(default_factory=list)

    def word_matrix(self, questions: list[str]) -> Any:
        """TF-IDF rows (L2-normalised) of `questions` over the vocabulary."""
        x = np.zeros((len(questions), len(self.vocabulary)))
        for i, question in enumerate(questions):
            for token in tokens(question):
                j = self.vocabulary.get(token)
                if j is not None:
                    x[i, j] += 1.0
        x *= np.asarray(self.idf)
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return x / norms

    def probabilities(
        self, question: str, vector: list[float] | None = None
    ) -> dict[int | None, float]:
        """P(stage | question) for stages 1-5 and None (off-topic); averaged with the
        embedding model when it exists and `vector` (the question's MiniLM vector) is given."""
        p = _softmax(self.word_matrix([question])[0] * SCALE @ self.words.weights + self.words.bias)
        if vector is not None and self.embedding is not None:
            z = np.asarray(vector) * SCALE @ self.embedding.weights + self.embedding.bias
            p = (p + _softmax(z)) / 2
        return {c: float(v) for c, v in zip(CLASSES, p, strict=True)}


def _softmax(z: Any) -> Any:
    e = np.exp(z - z.max())
    return e / e.sum()


def from_json(data: dict[str, Any]) -> StageClassifier:
    """A classifier from the shipped file's content (see `stage_training.to_json`)."""

    def linear(part: dict[str, Any] | None) -> LinearModel | None:
        if part is None:
            return None
        return LinearModel(np.asarray(part["weights"]), np.asarray(part["bias"]))

    classes = [None if c == "off-topic" else c for c in data["classes"]]
    if tuple(classes) != CLASSES or float(data["scale"]) != SCALE:
        raise ValueError("stage_classifier.json: classes or scale differ from this code; retrain")
    words = linear(data["words"])
    if words is None:
        raise ValueError("stage_classifier.json: no words model; retrain")
    vocabulary = {t: i for i, t in enumerate(data["vocabulary"])}
    return StageClassifier(
        vocabulary, np.asarray(data["idf"]), words, linear(data["embedding"]), data["training"]
    )


def shipped() -> StageClassifier:
    """The packaged classifier, loaded once per process."""
    with _lock:
        if "shipped" not in _cache:
            text = resources.files("pmo_playbook.ai").joinpath("data/stage_classifier.json")
            _cache["shipped"] = from_json(json.loads(text.read_text(encoding="utf-8")))
        model: StageClassifier = _cache["shipped"]
        return model


def active() -> tuple[StageClassifier | None, float]:
    """The classifier retrieval uses and its threshold (the shipped one unless overridden)."""
    if "override" in _cache:
        model, tau = _cache["override"]
        return model, tau
    return shipped(), PRIOR_THRESHOLD


@contextlib.contextmanager
def override(model: StageClassifier | None, threshold: float = PRIOR_THRESHOLD) -> Iterator[None]:
    """Use `model` (None: no prior) at `threshold` inside the block: for the leave-one-set-out
    benchmark and tests. Process-wide, not for concurrent use."""
    previous = _cache.get("override")
    _cache["override"] = (model, threshold)
    try:
        yield
    finally:
        if previous is None:
            _cache.pop("override", None)
        else:
            _cache["override"] = previous


def stage_probabilities(
    question: str, vector: list[float] | None = None
) -> dict[int | None, float]:
    """P(stage | question) from the active classifier (words model; averaged with the
    embedding model when `vector` is given); empty when the prior is switched off."""
    model, _ = active()
    return model.probabilities(question, vector) if model is not None else {}
