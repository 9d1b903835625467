"""Semantic similarity of a question to each lifecycle STAGE, blended into the per-SOP scores.

The hybrid retrieval's semantic signal was the cosine similarity of the question to a SOP's
best passage. The passages are terse list items ("Assign Project Manager", "Updated RAID
Log"), so MiniLM's best passage points to the wrong SOP on most questions phrased in the
asker's own words (semantic-only top-1 on the blind sets: 37–40 %). The lifecycle glossary
(`lifecycle_glossary.STAGES`, general PM vocabulary per stage, one line per theme: "idea
proposal pitch opportunity…", "charter authorise…") describes each stage in many more words;
the best-matching glossary line of a stage is a much better semantic vote (semantic-only
top-1 on the same sets: 73–80 %). Each SOP's semantic score becomes

    GLOSSARY_WEIGHT x (best glossary line of its stage) + (1 - GLOSSARY_WEIGHT) x (best passage)

(a SOP of unknown stage keeps its passage score). The glossary vectors are computed once per
process and model (about 60 short lines), never stored in the database.
"""

from __future__ import annotations

import threading
from typing import Any

from pmo_playbook.ai.lifecycle_glossary import STAGES, stage_of

GLOSSARY_WEIGHT = 0.7
_lock = threading.Lock()
_vectors: dict[str, dict[str, Any]] = {}  # model name -> stage -> matrix of line vectors


def _stage_vectors(model: Any) -> dict[str, Any]:
    """The glossary lines of every stage as unit vectors (one matrix per stage), cached."""
    import numpy as np

    with _lock:
        if model.name not in _vectors:
            _vectors[model.name] = {
                stage: np.asarray(model.encode(list(lines)), dtype=np.float32)
                for stage, lines in STAGES.items()
            }
        return _vectors[model.name]


def stage_similarities(model: Any, vector: list[float]) -> dict[str, float]:
    """Cosine similarity of a (unit) question vector to the best glossary line of each stage."""
    import numpy as np

    query = np.asarray(vector, dtype=np.float32)
    return {stage: float((lines @ query).max()) for stage, lines in _stage_vectors(model).items()}


def blend(
    sims: list[tuple[str, float]],
    headers: dict[str, tuple[str, int]],
    stages: dict[str, float],
) -> list[tuple[str, float]]:
    """Per-SOP semantic scores: the best passage blended with the SOP stage's best glossary
    line (see the module docstring), highest first."""
    out: list[tuple[str, float]] = []
    for sop_id, passage in sims:
        title, phase = headers.get(sop_id, ("", 0))
        stage = stage_of(int(phase), title)
        if stage in stages:
            passage = GLOSSARY_WEIGHT * stages[stage] + (1 - GLOSSARY_WEIGHT) * passage
        out.append((sop_id, passage))
    return sorted(out, key=lambda item: (-item[1], item[0]))
