"""Train the lifecycle-stage prior on every evaluation list and write the shipped file.

Usage: .venv/bin/python scripts/train_stage_classifier.py [--no-embedding]
Reads tests/eval/*.jsonl, trains the words model and (unless --no-embedding, or when the
MiniLM package is missing) the embedding model, and writes
src/pmo_playbook/ai/data/stage_classifier.json with the list and sha256 of the files used.
Deterministic: the same lists give the same weights. Re-run it whenever a list or the SOP
numbering changes (tests/integration/retrieval/test_stage_classifier.py fails until you do).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pmo_playbook.ai import embeddings, stage_training  # noqa: E402

OUTPUT = ROOT / "src/pmo_playbook/ai/data/stage_classifier.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-embedding", action="store_true", help="words model only")
    parser.add_argument("--output", default=str(OUTPUT))
    args = parser.parse_args()
    files = stage_training.training_files(ROOT / "tests/eval")
    rows = [row for path in files for row in stage_training.read_questions(path)]
    model = None if args.no_embedding else embeddings.get_model()
    vectors = model.encode([r["question"] for r in rows]) if model is not None else None
    record = [
        {"path": str(p.relative_to(ROOT)), "sha256": stage_training.sha256_of(p)} for p in files
    ]
    trained = stage_training.train(rows, vectors, record)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(stage_training.to_json(trained), separators=(",", ":")) + "\n")
    sys.stdout.write(
        f"{out}: {len(rows)} questions from {len(files)} files, "
        f"{len(trained.vocabulary)} terms, embedding model: {vectors is not None}\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
