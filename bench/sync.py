"""Live-sync benchmark (on demand): events/s applied in each direction, and lag under load.

Throw-away PostgreSQL (bench.migrate.Server) and an nx-27017 stand-in (--threaded, change
streams) driven with pymongo. Measures:
- inbound burst: N updates written to MongoDB while no sync runs, then the time one
  `run_sync` pass takes to apply them (events/s MongoDB -> PostgreSQL);
- outbound burst: with projects switched to PostgreSQL, N rows updated in PostgreSQL, then the
  time the outbox takes to reach MongoDB (events/s PostgreSQL -> MongoDB);
- lag: a steady write load on MongoDB while `sync --follow` runs; the delay until each
  sampled write is visible in PostgreSQL.
nx-27017 is slow (SQLite behind a Python wire server): the figures bound the stand-in as much as
the sync. Writes bench/results/sync.json with the machine's load averages.

Run: .venv/bin/python -m bench.sync [--events 500] [--seconds 10] [--rate 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pymongo
from bson import ObjectId

from bench.migrate import Server
from pmo_playbook.migration.sources import open_source
from pmo_playbook.sync.ownership import change_owner
from pmo_playbook.sync.runner import legacy_database, run_sync

RESULTS = Path(__file__).parent / "results" / "sync.json"
_VISIBLE = "SELECT 1 FROM projects WHERE project_id = %s"


def _nx(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    from pmo_playbook.db.cluster import free_port

    port = free_port()
    exe = str(Path(sys.executable).with_name("nx-27017"))
    proc = subprocess.Popen(
        [exe, "--db", "memory", "-p", str(port), "--threaded", "--pid-file", str(root / "nx")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    uri = f"mongodb://127.0.0.1:{port}/legacy"
    for _ in range(100):
        try:
            pymongo.MongoClient(uri, serverSelectionTimeoutMS=300).admin.command("ping")
            return proc, uri
        except pymongo.errors.PyMongoError:
            time.sleep(0.2)
    raise SystemExit("nx-27017 did not start")


def _doc(n: int) -> dict[str, Any]:
    return {"_id": ObjectId(), "projectId": f"PRO-{n:04d}", "projectName": f"P{n}"}


def _follow(url: Any, uri: str, stop: threading.Event) -> threading.Thread:
    def run() -> None:
        run_sync(url, legacy_database(uri), follow=True, interval=0.02, should_stop=stop.is_set)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = Server(root)
        proc, uri = _nx(root)
        try:
            url = server.fresh()
            coll = pymongo.MongoClient(uri)["legacy"]["projects"]
            coll.insert_many([_doc(n) for n in range(args.events)])
            run_sync(url, legacy_database(uri))  # full load
            for n in range(args.events):
                coll.update_one({"projectId": f"PRO-{n:04d}"}, {"$set": {"sponsor": "burst"}})
            started = time.perf_counter()
            report = run_sync(url, legacy_database(uri))
            inbound_s = time.perf_counter() - started
            lags = _lag(url, uri, coll, args.seconds, args.rate)
            outbound_s = _outbound(url, uri, coll, args.events)
        finally:
            proc.terminate()
            server.cluster.stop()
    result = {
        "events": args.events,
        "inbound_events_applied": report.inbound_events,
        "inbound_events_per_second": round(report.inbound_events / inbound_s, 1),
        "outbound_events_per_second": round(args.events / outbound_s, 1),
        "lag_seconds": {"median": round(statistics.median(lags), 3), "max": round(max(lags), 3),
                        "samples": len(lags), "write_rate_per_second": args.rate},
        "load_average": list(os.getloadavg()),
        "note": "2 shared cores (other engineers' tests ran meanwhile); nx-27017 stand-in",
    }  # fmt: skip
    RESULTS.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")


def _lag(url: Any, uri: str, coll: Any, seconds: float, rate: float) -> list[float]:
    stop = threading.Event()
    thread = _follow(url, uri, stop)
    time.sleep(1.0)
    lags: list[float] = []
    n, end = 100_000, time.monotonic() + seconds
    with psycopg.connect(url.raw, autocommit=True) as conn:
        while time.monotonic() < end:
            coll.insert_one(_doc(n))
            written = time.monotonic()
            pid = f"PRO-{n:04d}"
            while not conn.execute(
                "SELECT 1 FROM projects WHERE project_id = %s", (pid,)
            ).fetchone():
                time.sleep(0.005)
            lags.append(time.monotonic() - written)
            n += 1
            time.sleep(max(0.0, 1.0 / rate - (time.monotonic() - written)))
    stop.set()
    thread.join(timeout=30)
    return lags


def _outbound(url: Any, uri: str, coll: Any, events: int) -> float:
    stop = threading.Event()
    thread = _follow(url, uri, stop)
    source = open_source(uri)
    with psycopg.connect(url.raw) as conn:
        change_owner(conn, source, "projects", "postgresql", timeout=120)
    stop.set()
    thread.join(timeout=30)
    source.close()
    with psycopg.connect(url.raw) as conn:
        conn.execute(
            'UPDATE projects SET data = data || \'{"sponsor": "from postgres"}\' '
            "WHERE id IN (SELECT id FROM projects ORDER BY id LIMIT %s)",
            (events,),
        )
    started = time.perf_counter()
    run_sync(url, legacy_database(uri))
    seconds = time.perf_counter() - started
    assert coll.count_documents({"sponsor": "from postgres"}) == events
    return seconds


if __name__ == "__main__":
    main()
