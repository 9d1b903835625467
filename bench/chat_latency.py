"""Where a chat request's time goes, in-process: the query embedding (onnxruntime), the
retrieval, the whole POST /api/chat, and how many SQL statements one chat request sends.

Usage: .venv/bin/python bench/chat_latency.py [--library DIR] [--rounds N]
Writes bench/results/chat_latency.json (with the load averages: the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import chat_eval  # noqa: E402
import psycopg  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from bench.throwaway import migrated_database  # noqa: E402
from pmo_playbook.ai import embeddings, retrieval  # noqa: E402
from pmo_playbook.config import Settings  # noqa: E402
from pmo_playbook.web.app import create_app  # noqa: E402
from pmo_playbook.web.deps import get_actor  # noqa: E402

_statements = {"n": 0}
_execute = psycopg.Cursor.execute


def _counting_execute(self: Any, *args: Any, **kwargs: Any) -> Any:
    _statements["n"] += 1
    return _execute(self, *args, **kwargs)


def _p50(values: list[float]) -> float:
    return round(statistics.median(values), 2) if values else 0.0


def measure(url: str, tmp: str, folder: Path, rounds: int) -> dict[str, Any]:
    sops, spec = chat_eval._load(folder)
    questions = [q["question"] for q in spec["questions"]]
    settings = Settings(  # type: ignore[call-arg]
        DATABASE_URL=url, PMO_DATA_DIR=str(Path(tmp) / "data"), PMO_CHAT_RATE_LIMIT_PER_MINUTE=0
    )
    app = create_app(settings)
    app.dependency_overrides[get_actor] = lambda: chat_eval.ADMIN
    model = embeddings.get_model()
    embed_ms: list[float] = []
    retrieve_ms: list[float] = []
    chat_ms: list[float] = []
    statements: list[int] = []
    with TestClient(app) as client:
        for sop_id, markdown in sops.items():
            client.post("/api/content-db", json={"sopId": sop_id, "markdownContent": markdown})
        client.post("/api/chat", json={"message": "warm up"})
        with psycopg.connect(url) as conn:
            for _ in range(rounds):
                for q in questions:
                    if model is not None:
                        start = time.perf_counter()
                        model.encode([q])
                        embed_ms.append((time.perf_counter() - start) * 1000)
                    start = time.perf_counter()
                    retrieval.retrieve(conn, q)
                    retrieve_ms.append((time.perf_counter() - start) * 1000)
        psycopg.Cursor.execute = _counting_execute  # type: ignore[method-assign]
        try:
            for _ in range(rounds):
                for q in questions:
                    _statements["n"] = 0
                    start = time.perf_counter()
                    client.post("/api/chat", json={"message": q})
                    chat_ms.append((time.perf_counter() - start) * 1000)
                    statements.append(_statements["n"])
        finally:
            psycopg.Cursor.execute = _execute  # type: ignore[method-assign]
    return {
        "library": str(folder.relative_to(ROOT)),
        "questions": len(questions) * rounds,
        "mode": "hybrid" if model is not None else "full-text",
        "query_embedding_ms_p50": _p50(embed_ms),
        "retrieve_ms_p50": _p50(retrieve_ms),
        "chat_request_ms_p50": _p50(chat_ms),
        "chat_request_ms_p95": round(sorted(chat_ms)[int(0.95 * len(chat_ms))], 2),
        "sql_statements_per_chat_request_p50": statistics.median(statements),
        "sql_statements_per_chat_request_max": max(statements),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, default=ROOT / "tests/eval/libraries/dev")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    load = os.getloadavg()
    with migrated_database("pmo-chat-latency-") as (url, tmp):
        result = measure(url, str(tmp), args.library.resolve(), args.rounds)
    result |= {
        "load_average_before": load,
        "load_average_after": os.getloadavg(),
        "machine": "2 cores, shared with other engineers' work",
    }
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    out = ROOT / "bench" / "results" / "chat_latency.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
