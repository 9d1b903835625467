"""Training of the lifecycle-stage prior (see `stage_classifier`), deterministic, plain NumPy.

Used by scripts/train_stage_classifier.py (the shipped model, trained on every evaluation
list) and by bench/retrieval.py --loso (one model per left-out list, trained in memory by
the same functions). Labels: the stage of the SOP a question is labelled with (SOP-00N ->
lifecycle stage N, the playbook's phase numbering) or off-topic (no SOP).

Both models are multinomial logistic regressions with an L2 penalty, fitted by full-batch
gradient descent from zero weights (no randomness, so a retrain reproduces the weights):

* words: lower-cased word unigrams + bigrams, kept when at least `MIN_DF` training questions
  contain them, TF-IDF (smooth idf), L2-normalised;
* embedding: the question's MiniLM vector (384-d, unit length).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pmo_playbook.ai.stage_classifier import (
    CLASSES,
    SCALE,
    LinearModel,
    StageClassifier,
    tokens,
)

MIN_DF = 2
L2 = 1e-3
LEARNING_RATE = 0.5
WORD_EPOCHS = 300
EMBEDDING_EPOCHS = 400
SIGNIFICANT_DIGITS = 5
_SOP_ID = re.compile(r"SOP-0*(\d+)$")

Encoder = Callable[[list[str]], Sequence[Sequence[float]]]


def label_of(sop: str | None) -> int:
    """Class index of a labelled SOP id (SOP-00N -> stage N), or of off-topic (None)."""
    if sop is None:
        return CLASSES.index(None)
    match = _SOP_ID.match(sop)
    if match is None or int(match.group(1)) not in CLASSES:
        raise ValueError(f"unknown SOP label {sop!r}: expected SOP-001 .. SOP-005 or null")
    return CLASSES.index(int(match.group(1)))


def read_questions(path: Path) -> list[dict[str, Any]]:
    """The questions of one evaluation list (JSON lines with `question` and `sop`)."""
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            rows.append({"question": str(row["question"]), "sop": row["sop"]})
        except (ValueError, KeyError) as exc:
            raise ValueError(f"{path}:{number}: not a question row ({exc})") from exc
    return rows


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rounded(values: Any) -> Any:
    """Round to SIGNIFICANT_DIGITS significant digits (keeps the shipped file small)."""
    array = np.asarray(values, dtype=np.float64)
    out = np.zeros_like(array)
    nonzero = array != 0
    magnitude = np.floor(np.log10(np.abs(array[nonzero])))
    factor = 10.0 ** (SIGNIFICANT_DIGITS - 1 - magnitude)
    out[nonzero] = np.round(array[nonzero] * factor) / factor
    return out


def fit(features: Any, labels: Any, epochs: int) -> LinearModel:
    """Multinomial logistic regression (L2) by full-batch gradient descent from zero."""
    x = np.asarray(features, dtype=np.float64) * SCALE
    k = len(CLASSES)
    onehot = np.eye(k)[np.asarray(labels)]
    weights, bias = np.zeros((x.shape[1], k)), np.zeros(k)
    for _ in range(epochs):
        z = x @ weights + bias
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        grad = (p - onehot) / len(x)
        weights -= LEARNING_RATE * (x.T @ grad + L2 * weights)
        bias -= LEARNING_RATE * grad.sum(0)
    return LinearModel(_rounded(weights), _rounded(bias))


def word_features(questions: list[str]) -> tuple[dict[str, int], Any]:
    """Vocabulary (document frequency >= MIN_DF, in first-seen order) and smooth idf."""
    df = Counter(t for q in questions for t in set(tokens(q)))
    seen: dict[str, int] = {}
    for q in questions:
        for t in tokens(q):
            if df[t] >= MIN_DF and t not in seen:
                seen[t] = len(seen)
    n = len(questions)
    idf = np.array([np.log((1 + n) / (1 + df[t])) + 1 for t in seen])
    return seen, _rounded(idf)


def train(
    rows: list[dict[str, Any]],
    vectors: Any | None = None,
    training: list[dict[str, str]] | None = None,
) -> StageClassifier:
    """The words model on `rows`, plus the embedding model when `vectors` (one per row) is
    given; `training` records the files used (path + sha256)."""
    questions = [r["question"] for r in rows]
    labels = [label_of(r["sop"]) for r in rows]
    vocabulary, idf = word_features(questions)
    shell = StageClassifier(
        vocabulary, idf, LinearModel(np.zeros((len(vocabulary), 6)), np.zeros(6))
    )
    words = fit(shell.word_matrix(questions), labels, WORD_EPOCHS)
    embedding = None
    if vectors is not None:
        embedding = fit(np.asarray(vectors, dtype=np.float64), labels, EMBEDDING_EPOCHS)
    return StageClassifier(vocabulary, idf, words, embedding, training or [])


def training_files(folder: Path) -> list[Path]:
    """Every evaluation list, sorted by name (the training set of the shipped model)."""
    return sorted(folder.glob("*.jsonl"))


def to_json(model: StageClassifier) -> dict[str, Any]:
    """The shipped file's content (see `stage_classifier.from_json`)."""

    def linear(m: LinearModel | None) -> dict[str, Any] | None:
        if m is None:
            return None
        return {"weights": np.asarray(m.weights).tolist(), "bias": np.asarray(m.bias).tolist()}

    return {
        "format": 1,
        "classes": ["off-topic" if c is None else c for c in CLASSES],
        "scale": SCALE,
        "training": model.training,
        "vocabulary": list(model.vocabulary),
        "idf": np.asarray(model.idf).tolist(),
        "words": linear(model.words),
        "embedding": linear(model.embedding),
    }
