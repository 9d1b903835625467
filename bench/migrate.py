"""Benchmark of `pmo migrate run` (issue 3), run on demand; writes bench/results/migrate.json.

    .venv/bin/python -m bench.migrate [--scale 200000] [--row-sample 0] [--proxy-row-sample 1000]

Measures, on a throw-away PostgreSQL cluster (TCP, loopback):
  (a) the loader end to end (migrate(): COPY + set-based upsert + read-back verification, and
      the rebuild of the secondary indexes a large first load defers: same final tables as (b));
  (b) raw COPY of the same final rows into the same indexed tables (the limit);
  (c) a Python port of the seed guide's import-to-postgres.ts: one INSERT ... ON CONFLICT
      (business key) DO UPDATE per document, autocommit, `_id` kept inside `data`, every
      statement unnamed (unprepared) as node-postgres sends it (since round 4);
  (d) peak RSS (VmHWM) of (a) in a fresh process at --scale and at --scale/10, main process
      and encoding worker reported separately;
  (e) (a) and (c) again through an asyncio TCP proxy adding 5 ms per client→server message.
(c) runs on the WHOLE dump locally by default (--row-sample 0; ≈ 80 s at 200k): a sample of the
first documents of each collection, as before round 6, measured it on nearly empty tables and
with as many small project/user documents as chats, which flattered it by ≈ 10%. Through the
proxy (one 5 ms round trip per document) it runs on --proxy-row-sample documents taken from
each collection in proportion to its size.
For (a) and (b) the CPU time of every process is read from the kernel (bench/cpu.py), so the
results say what a document costs and how fast (a) could be on this machine's cores at best.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import bson
import psycopg
from bson import ObjectId
from psycopg import sql

from bench.cpu import CpuSnapshot
from pmo_playbook.db import schema
from pmo_playbook.db.cluster import LocalCluster, free_port, wheel_bin_dir
from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.load.loader import LoadOptions
from pmo_playbook.migration.load.run import migrate
from pmo_playbook.migration.mapping import SPECS
from pmo_playbook.migration.sources import open_source

RESULTS = Path(__file__).resolve().parent / "results" / "migrate.json"
PASSWORD = "bench-s3cret"
WORDS = "plan risk scope budget sponsor milestone charter stakeholder review deliverable"
WORDS_LIST = WORDS.split()


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS_LIST) for _ in range(n))


def generate(folder: Path, scale: int, seed: int = 7) -> dict[str, int]:
    """A legacy dump: ~45% chat histories (~2-4 KB), ~45% message feedback, the rest others."""
    rng = random.Random(seed)
    base = datetime(2024, 1, 1, tzinfo=UTC)
    db = folder / "pmo_playbook"
    db.mkdir(parents=True, exist_ok=True)
    n_chat = int(scale * 0.45)
    n_fb = int(scale * 0.45)
    n_proj = max(1, int(scale * 0.05))
    n_user = scale - n_chat - n_fb - n_proj
    counts = {}
    with (db / "chat_histories.bson").open("wb") as out:
        for i in range(n_chat):
            t = base + timedelta(seconds=i * 37)
            msgs = [
                {
                    "role": "user" if k % 2 == 0 else "assistant",
                    "content": _text(rng, 40),
                    "timestamp": t + timedelta(seconds=k),
                    "selectedSopId": "SOP-002",
                    "confidence": 0.8,
                }
                for k in range(rng.randint(4, 10))
            ]
            out.write(
                bson.encode(
                    {
                        "_id": ObjectId(),
                        "sessionId": f"session-{i}",
                        "messages": msgs,
                        "sopUsage": [{"sopId": "SOP-002", "usageCount": 2, "lastUsed": t}],
                        "metadata": {"userAgent": "Mozilla/5.0"},
                        "tags": ["x"],
                        "status": "active",
                        "startedAt": t,
                        "lastActive": t,
                        "createdAt": t,
                        "updatedAt": t,
                        "__v": 0,
                    }
                )
            )
    counts["chat_histories"] = n_chat
    with (db / "message_feedback.bson").open("wb") as out:
        for i in range(n_fb):
            t = base + timedelta(seconds=i * 11)
            out.write(
                bson.encode(
                    {
                        "_id": ObjectId(),
                        "messageId": f"msg-{i}",
                        "sessionId": f"session-{i % max(1, n_chat)}",
                        "rating": rng.choice(["helpful", "not_helpful"]),
                        "sopUsed": "SOP-003",
                        "confidence": rng.random(),
                        "feedbackReason": _text(rng, 12),
                        "createdAt": t,
                        "updatedAt": t,
                        "__v": 0,
                    }
                )
            )
    counts["message_feedback"] = n_fb
    with (db / "projects.bson").open("wb") as out:
        for i in range(n_proj):
            t = base + timedelta(days=i % 500)
            out.write(
                bson.encode(
                    {
                        "_id": ObjectId(),
                        "projectId": f"PRO-{i + 1:03d}",
                        "projectName": _text(rng, 4),
                        "sponsor": "Priya Weber",
                        "projectTeam": [_text(rng, 2) for _ in range(6)],
                        "businessCaseSummary": _text(rng, 30),
                        "resourceRequirements": _text(rng, 8),
                        "keyDatesMilestones": [
                            {"date": t, "description": "Kick-off", "_id": ObjectId()}
                        ],
                        "isActive": True,
                        "createdAt": t,
                        "updatedAt": t,
                        "__v": 0,
                    }
                )
            )
    counts["projects"] = n_proj
    with (db / "users.bson").open("wb") as out:
        for i in range(n_user):
            t = base + timedelta(hours=i)
            out.write(
                bson.encode(
                    {
                        "_id": ObjectId(),
                        "userId": f"USER-{i}",
                        "email": f"u{i}@x.org",
                        "name": f"User {i}",
                        "role": "user",
                        "isActive": True,
                        "lastLogin": t,
                        "createdAt": t,
                        "updatedAt": t,
                        "__v": 0,
                    }
                )
            )
    counts["users"] = n_user
    return counts


class Server:
    """A throw-away cluster (embedded PostgreSQL 18, TCP + password), like tests/support/pg.py."""

    def __init__(self, root: Path) -> None:
        self.cluster = LocalCluster(
            data_dir=root / "pg",
            bin_dir=wheel_bin_dir(),
            port=free_port(),
            listen_tcp=True,
            superuser_password=PASSWORD,
        )
        self.cluster.start()
        self.n = 0

    def fresh(self) -> DatabaseUrl:
        self.n += 1
        name = f"bench_{self.n}"
        with psycopg.connect(self.cluster.url("postgres", tcp=True), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = DatabaseUrl(self.cluster.url(name, tcp=True))
        with psycopg.connect(url.raw, autocommit=True) as conn:
            schema.apply_migrations(conn)
        return url


def run_loader(url: DatabaseUrl, dump: Path) -> float:
    source = open_source(str(dump))
    started = time.perf_counter()
    report = migrate(url, source, LoadOptions())
    seconds = time.perf_counter() - started
    source.close()
    assert report.ok, "the loader's verification failed"
    return seconds


def raw_copy(src: DatabaseUrl, dst: DatabaseUrl) -> float:
    """COPY the loaded rows out of `src`, then time a binary COPY into `dst` (same indexes)."""
    dumps = {}
    with psycopg.connect(src.raw) as conn:
        for spec in SPECS:
            cols = sql.SQL(", ").join(map(sql.Identifier, _copy_columns(conn, spec.table)))
            query = sql.SQL("COPY {} ({}) TO STDOUT (FORMAT BINARY)").format(
                sql.Identifier(spec.table), cols
            )
            with conn.cursor() as cur, cur.copy(query) as copy:
                dumps[spec.table] = (cols, b"".join(bytes(b) for b in copy))
    started = time.perf_counter()
    with psycopg.connect(dst.raw) as conn:
        for table, (cols, data) in dumps.items():
            query = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
                sql.Identifier(table), cols
            )
            with conn.cursor() as cur, cur.copy(query) as copy:
                for i in range(0, len(data), 1 << 20):
                    copy.write(data[i : i + (1 << 20)])
        conn.commit()
    return time.perf_counter() - started


def _copy_columns(conn: psycopg.Connection[Any], table: str) -> list[str]:
    found = conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
        "AND NOT attisdropped AND attname <> 'id' ORDER BY attnum",
        (table,),
    ).fetchall()
    return [r[0] for r in found]


_SEED_SQL = {  # import-to-postgres.ts: business columns pulled out, everything else in data
    "chat_histories": (
        "INSERT INTO chat_histories (session_id, user_id, data, status, started_at, last_active) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (session_id) DO UPDATE SET "
        "data = EXCLUDED.data, status = EXCLUDED.status, last_active = EXCLUDED.last_active"
    ),
    "message_feedback": (
        "INSERT INTO message_feedback (message_id, session_id, rating, data) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT (message_id, session_id) DO UPDATE SET "
        "data = EXCLUDED.data, rating = EXCLUDED.rating"
    ),
    "projects": (
        "INSERT INTO projects (project_id, data, is_active) VALUES (%s, %s, %s) "
        "ON CONFLICT (project_id) DO UPDATE SET data = EXCLUDED.data, "
        "is_active = EXCLUDED.is_active"
    ),
    "users": (
        "INSERT INTO users (user_id, email, data, is_active) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (user_id) DO UPDATE SET data = EXCLUDED.data"
    ),
}


def _seed_params(name: str, doc: dict[str, Any]) -> tuple[Any, ...]:
    data = json.dumps(doc, default=str)
    if name == "chat_histories":
        return (
            doc["sessionId"],
            doc.get("userId"),
            data,
            doc["status"],
            doc["startedAt"],
            doc["lastActive"],
        )
    if name == "message_feedback":
        return (doc["messageId"], doc["sessionId"], doc["rating"], data)
    if name == "projects":
        return (doc["projectId"], data, doc["isActive"])
    return (doc["userId"], doc["email"], data, doc["isActive"])


def sample_sizes(counts: dict[str, int], limit: int) -> dict[str, int]:
    """Documents of each collection for a sample of `limit` (0: all), in proportion to size."""
    total = sum(counts.values())
    if limit <= 0 or limit >= total:
        return dict(counts)
    return {name: max(1, round(limit * n / total)) for name, n in counts.items()}


def row_by_row(url: DatabaseUrl, dump: Path, sizes: dict[str, int]) -> tuple[int, float]:
    """The seed's import: one autocommitted upsert round trip per document (`sizes` of each)."""
    done, started = 0, time.perf_counter()
    # node-postgres (`getPostgresPool().query(text, values)`, no statement `name`) sends every
    # query as an UNNAMED statement: parsed and planned each time. psycopg prepares a query
    # server-side from its 5th execution (prepare_threshold=5); None keeps the port faithful.
    with psycopg.connect(url.raw, autocommit=True, prepare_threshold=None) as conn:
        for name in ("projects", "users", "chat_histories", "message_feedback"):
            path = dump / "pmo_playbook" / f"{name}.bson"
            with path.open("rb") as f:
                for i, doc in enumerate(bson.decode_file_iter(f)):
                    if i >= sizes.get(name, 0):
                        break
                    conn.execute(_SEED_SQL[name], _seed_params(name, doc))
                    done += 1
    return done, time.perf_counter() - started


class DelayProxy:
    """Loopback TCP proxy delaying every client→server message by `delay` seconds (one per RTT)."""

    def __init__(self, target_port: int, delay: float = 0.005) -> None:
        self.target_port, self.delay, self.port = target_port, delay, free_port()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait()

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", self.port)
        )
        ready.set()
        self.loop.run_until_complete(server.serve_forever())

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        await asyncio.gather(self._pipe(reader, up_w, True), self._pipe(up_r, writer, False))

    async def _pipe(self, r: asyncio.StreamReader, w: asyncio.StreamWriter, delayed: bool) -> None:
        """Forward each chunk `delay` after it arrived: latency added, bandwidth not limited."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def send() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    break
                if delayed and (wait := due - self.loop.time()) > 0:
                    await asyncio.sleep(wait)
                w.write(data)
                await w.drain()
            w.close()

        sender = asyncio.ensure_future(send())
        try:
            while data := await r.read(1 << 16):
                queue.put_nowait((self.loop.time() + self.delay, data))
        finally:
            queue.put_nowait((0.0, b""))
            await sender


_PEAK_CODE = """
import json, sys
from pathlib import Path
from bench.migrate import run_loader, vm_hwm_kib
from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.load import pipeline
run_loader(DatabaseUrl(sys.argv[1]), Path(sys.argv[2]))
print(json.dumps({"main": vm_hwm_kib(), "worker": max(pipeline.PEAK_RSS_KIB.values(), default=0)}))
"""


def vm_hwm_kib() -> int:
    """This process's own peak RSS (VmHWM). Not ru_maxrss: Linux carries the parent's peak
    across fork+exec into a child's ru_maxrss, which made both scales report the bench's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def peak_rss(dump: Path, url: DatabaseUrl) -> dict[str, int]:
    """Peak RSS (KiB) of a fresh process running the loader on `dump`, and of its worker.

    `total` = main + worker peaks (they run at the same time; an upper bound of the sum).
    """
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_CODE, url.raw, str(dump)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    peaks: dict[str, int] = json.loads(out.stdout.strip().splitlines()[-1])
    peaks["total"] = peaks["main"] + peaks["worker"]
    return peaks


def _via(url: DatabaseUrl, port: int) -> DatabaseUrl:
    params = url.params
    params["port"] = str(port)
    return DatabaseUrl(psycopg.conninfo.make_conninfo(**params))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=200_000)
    parser.add_argument("--row-sample", type=int, default=0, help="(c) locally; 0: every document")
    parser.add_argument("--proxy-row-sample", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pmo-bench-") as tmp:
        root = Path(tmp)
        server = Server(root)
        try:
            results = measure(server, root, args)
        finally:
            server.cluster.destroy()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def measure(server: Server, root: Path, args: argparse.Namespace) -> dict[str, Any]:
    scale = args.scale
    big, small = root / "dump", root / "dump-tenth"
    counts = generate(big, scale)
    generate(small, max(10, scale // 10), seed=8)
    size = sum(p.stat().st_size for p in (big / "pmo_playbook").glob("*.bson"))
    data_dir, loads = server.cluster.data_dir, {}
    loaded = server.fresh()
    loads["a"], before = _load(), CpuSnapshot.take(data_dir)
    a = run_loader(loaded, big)
    a_cpu = before.per_doc_us(CpuSnapshot.take(data_dir), scale)
    target = server.fresh()
    loads["b"], before = _load(), CpuSnapshot.take(data_dir)
    b = raw_copy(loaded, target)
    b_cpu = before.per_doc_us(CpuSnapshot.take(data_dir), scale)
    loads["c"] = _load()
    c_docs, c_sec = row_by_row(server.fresh(), big, sample_sizes(counts, args.row_sample))
    rss_big = peak_rss(big, server.fresh())
    rss_small = peak_rss(small, server.fresh())
    proxy = DelayProxy(server.cluster.port)
    loads["e"] = _load()
    a_proxy = run_loader(_via(server.fresh(), proxy.port), big)
    cp_docs, cp_sec = row_by_row(
        _via(server.fresh(), proxy.port), big, sample_sizes(counts, args.proxy_row_sample)
    )
    loads["end"] = _load()
    rate = {
        "a": scale / a,
        "b": scale / b,
        "c": c_docs / c_sec,
        "a_proxy": scale / a_proxy,
        "c_proxy": cp_docs / cp_sec,
    }
    cores = os.cpu_count() or 1
    return {
        "scale": scale,
        "counts": counts,
        "dump_bytes": size,
        "cores": cores,
        "load_average_1min_at_start_of": loads,
        "a_loader": {
            "seconds": round(a, 2),
            "docs_per_s": round(rate["a"]),
            "cpu_us_per_doc": a_cpu,
            # The fastest (a) could run here: every core busy with it, nothing else running.
            "cpu_bound_docs_per_s": round(cores * 1e6 / a_cpu["total"]),
        },
        "b_raw_copy": {
            "seconds": round(b, 2),
            "docs_per_s": round(rate["b"]),
            "cpu_us_per_doc": b_cpu,
        },
        "c_row_by_row": {
            "docs": c_docs,
            "seconds": round(c_sec, 2),
            "docs_per_s": round(rate["c"]),
        },
        "d_peak_rss_kib": {
            "scale": rss_big,
            "tenth": rss_small,
            "ratio_total": round(rss_big["total"] / rss_small["total"], 3),
        },
        "e_proxy_5ms": {
            "a_docs_per_s": round(rate["a_proxy"]),
            "c_docs_per_s": round(rate["c_proxy"], 1),
            "c_docs": cp_docs,
        },
        "ratios": {
            "a_over_b": round(rate["a"] / rate["b"], 3),
            "a_over_c": round(rate["a"] / rate["c"], 1),
            "a_over_c_proxy": round(rate["a_proxy"] / rate["c_proxy"], 1),
        },
        "targets": {
            "a_over_b": ">= 0.5",
            "a_over_c": ">= 8",
            "a_over_c_proxy": ">= 100",
            "rss_ratio": "within 0.9..1.1",
        },
        # What (a) would have to reach for each ratio target, next to what bounds it here.
        "targets_need_a_docs_per_s": {
            "a_over_b": round(0.5 * rate["b"]),
            "a_over_c": round(8 * rate["c"]),
            "a_over_c_proxy_through_proxy": round(100 * rate["c_proxy"]),
            "b_raw_copy_for_comparison": round(rate["b"]),
            "a_cpu_bound_for_comparison": round(cores * 1e6 / a_cpu["total"]),
        },
    }


if __name__ == "__main__":
    main()
