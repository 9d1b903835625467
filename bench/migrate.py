"""Benchmark of `pmo migrate run` on registry-generated documents (bench/results/migrate.json).

    .venv/bin/python -m bench.migrate [--scale 54000] [--row-sample 0] [--proxy-row-sample 1000]

The dump comes from bench/docgen.py: every collection of the registry, every optional field
present, absent or null, arrays of varying length, long and short text, legacy field-order
variants, seeded. Measured on a throw-away PostgreSQL cluster (TCP, loopback), in ONE run so
the ratios share the machine's load (it is shared: the 1-minute load average is recorded
beside every step):
  (a) the loader end to end (migrate(): COPY + set-based upsert + read-back verification +
      the rebuild of deferred secondary indexes), whole dump, and per collection its docs/s,
      MB/s and CPU seconds (ours: main process + encoding worker; server: every backend);
  (b) binary COPY of the same final rows into the same indexed tables (the limit), per table;
  (c) the seed guide's import-to-postgres.ts, ported: one autocommitted, unprepared
      INSERT ... ON CONFLICT (business key) DO UPDATE per document, per collection;
  (d) peak RSS (VmHWM) of (a) in a fresh process at --scale and at --scale/10;
  (e) (a) and (c) through a TCP proxy adding 5 ms per client→server message, run in a process
      of its own (bench/delay_proxy.py) so that it never waits for the loader's GIL.
Collections are listed worst (lowest a/b) first.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bson
import psycopg
from psycopg import sql

from bench.cpu import CpuSnapshot
from bench.delay_proxy import DelayProxy
from bench.docgen import generate
from pmo_playbook.db import schema
from pmo_playbook.db.cluster import LocalCluster, free_port, wheel_bin_dir
from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.documents.registry import COLLECTIONS
from pmo_playbook.documents.registry.collection import Collection
from pmo_playbook.migration.load.loader import LoadOptions
from pmo_playbook.migration.load.run import migrate
from pmo_playbook.migration.mapping import SPECS
from pmo_playbook.migration.sources import open_source

RESULTS = Path(__file__).resolve().parent / "results" / "migrate.json"
PASSWORD = "bench-s3cret"


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


class CollectionCpu:
    """A progress sink that snapshots CPU at each collection's start and finish.

    The encoding worker is waited for before `finish`, so its CPU is in RUSAGE_CHILDREN by
    then. Deferred indexes rebuilt in the background while the next collection loads are
    counted to that next collection's server CPU (and to the whole-dump figure)."""

    def __init__(self, data_dir: Path | None) -> None:
        self.data_dir = data_dir
        self.started: dict[str, tuple[float, CpuSnapshot | None]] = {}
        self.spent: dict[str, dict[str, float]] = {}

    def _snap(self) -> CpuSnapshot | None:
        return CpuSnapshot.take(self.data_dir) if self.data_dir is not None else None

    def start(self, collection: str, total: int | None, done: int) -> None:
        self.started[collection] = (time.perf_counter(), self._snap())

    def advance(self, collection: str, count: int) -> None:
        return None

    def finish(self, collection: str) -> None:
        t0, before = self.started[collection]
        after = self._snap()
        out = {"seconds": time.perf_counter() - t0}
        if before is not None and after is not None:
            out.update(before.seconds_to(after))
        self.spent[collection] = out


def run_loader(
    url: DatabaseUrl, dump: Path, data_dir: Path | None = None
) -> tuple[float, dict[str, dict[str, float]]]:
    """Seconds of a whole migrate() run, and per collection its seconds and CPU seconds."""
    source = open_source(str(dump))
    sink = CollectionCpu(data_dir)
    started = time.perf_counter()
    report = migrate(url, source, LoadOptions(progress=sink))
    seconds = time.perf_counter() - started
    source.close()
    assert report.ok, "the loader's verification failed"
    return seconds, sink.spent


def raw_copy(
    src: DatabaseUrl, dst: DatabaseUrl, data_dir: Path
) -> tuple[float, dict[str, dict[str, float]]]:
    """COPY the loaded rows out of `src`, then time a binary COPY into `dst` (same indexes),
    per table (seconds and CPU seconds) and in total."""
    dumps = {}
    with psycopg.connect(src.raw) as conn:
        for spec in SPECS:
            cols = sql.SQL(", ").join(map(sql.Identifier, _copy_columns(conn, spec.table)))
            query = sql.SQL("COPY {} ({}) TO STDOUT (FORMAT BINARY)").format(
                sql.Identifier(spec.table), cols
            )
            with conn.cursor() as cur, cur.copy(query) as copy:
                dumps[spec.table] = (cols, b"".join(bytes(b) for b in copy))
    per_table: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    with psycopg.connect(dst.raw) as conn:
        for table, (cols, data) in dumps.items():
            t0, before = time.perf_counter(), CpuSnapshot.take(data_dir)
            query = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
                sql.Identifier(table), cols
            )
            with conn.cursor() as cur, cur.copy(query) as copy:
                for i in range(0, len(data), 1 << 20):
                    copy.write(data[i : i + (1 << 20)])
            conn.commit()
            per_table[table] = {
                "seconds": time.perf_counter() - t0,
                **before.seconds_to(CpuSnapshot.take(data_dir)),
            }
    return time.perf_counter() - started, per_table


def _copy_columns(conn: psycopg.Connection[Any], table: str) -> list[str]:
    found = conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
        "AND NOT attisdropped AND attname <> 'id' ORDER BY attnum",
        (table,),
    ).fetchall()
    return [r[0] for r in found]


def _seed_sql(coll: Collection) -> sql.Composed:
    """import-to-postgres.ts for one collection: the business columns pulled out, everything
    else (the `_id` included) in `data`; one upsert on the first natural key."""
    spec = coll.spec
    cols = [c for c in spec.column_names if spec.reference is None
            or c != spec.reference.staged_column]  # fmt: skip
    names = [*cols, "data"]
    return sql.SQL(
        "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET data = EXCLUDED.data"
    ).format(
        sql.Identifier(spec.table),
        sql.SQL(", ").join(map(sql.Identifier, names)),
        sql.SQL(", ").join(sql.Placeholder() * len(names)),
        sql.SQL(", ").join(map(sql.Identifier, coll.natural_keys[0])),
    )


def _seed_params(coll: Collection, doc: dict[str, Any]) -> list[Any]:
    data = json.dumps(doc, default=str)
    natural = json.loads(data)
    spec = coll.spec
    values = spec.extract(natural, str(doc["_id"]))
    keep = [i for i, c in enumerate(spec.column_names)
            if spec.reference is None or c != spec.reference.staged_column]  # fmt: skip
    return [values[i] for i in keep] + [data]


def sample_sizes(counts: dict[str, int], limit: int) -> dict[str, int]:
    """Documents of each collection for a sample of `limit` (0: all), in proportion to size."""
    total = sum(counts.values())
    if limit <= 0 or limit >= total:
        return dict(counts)
    return {name: max(1, round(limit * n / total)) for name, n in counts.items()}


def row_by_row(
    url: DatabaseUrl, dump: Path, sizes: dict[str, int]
) -> tuple[int, float, dict[str, dict[str, float]]]:
    """The seed's import: one autocommitted upsert round trip per document (`sizes` of each);
    documents, seconds, and per collection its documents and seconds."""
    done, started, per = 0, time.perf_counter(), {}
    # node-postgres (`getPostgresPool().query(text, values)`, no statement `name`) sends every
    # query as an UNNAMED statement: parsed and planned each time. psycopg prepares a query
    # server-side from its 5th execution (prepare_threshold=5); None keeps the port faithful.
    with psycopg.connect(url.raw, autocommit=True, prepare_threshold=None) as conn:
        for coll in COLLECTIONS:
            query, n, t0 = _seed_sql(coll), 0, time.perf_counter()
            path = dump / "pmo_playbook" / f"{coll.name}.bson"
            with path.open("rb") as f:
                for doc in bson.decode_file_iter(f):
                    if n >= sizes.get(coll.name, 0):
                        break
                    conn.execute(query, _seed_params(coll, doc))
                    n += 1
            per[coll.name] = {"docs": n, "seconds": time.perf_counter() - t0}
            done += n
    return done, time.perf_counter() - started, per


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
    parser.add_argument("--scale", type=int, default=54_000)
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
    sizes = {n: (big / "pmo_playbook" / f"{n}.bson").stat().st_size for n in counts}
    docs, size = sum(counts.values()), sum(sizes.values())
    data_dir, loads = server.cluster.data_dir, {"uptime_start": _uptime()}
    loaded = server.fresh()
    loads["a"], before = _load(), CpuSnapshot.take(data_dir)
    a, a_per = run_loader(loaded, big, data_dir)
    a_cpu = before.seconds_to(CpuSnapshot.take(data_dir))
    target = server.fresh()
    loads["b"], before = _load(), CpuSnapshot.take(data_dir)
    b, b_per = raw_copy(loaded, target, data_dir)
    b_cpu = before.seconds_to(CpuSnapshot.take(data_dir))
    loads["c"] = _load()
    c_docs, c_sec, c_per = row_by_row(server.fresh(), big, sample_sizes(counts, args.row_sample))
    loads["d"] = _load()
    rss_big = peak_rss(big, server.fresh())
    rss_small = peak_rss(small, server.fresh())
    with DelayProxy.start(server.cluster.port) as proxy:
        loads["e"] = _load()
        a_proxy, _ = run_loader(_via(server.fresh(), proxy.port), big)
        cp_docs, cp_sec, _ = row_by_row(
            _via(server.fresh(), proxy.port), big, sample_sizes(counts, args.proxy_row_sample)
        )
    loads["end"], loads["uptime_end"] = _load(), _uptime()
    per_collection = []
    for coll in COLLECTIONS:
        name, n = coll.name, counts[coll.name]
        la, lb, lc = a_per[name], b_per[coll.table], c_per[name]
        per_collection.append({
            "collection": name,
            "docs": n,
            "mb": round(sizes[name] / 1e6, 2),
            "a_docs_per_s": round(n / la["seconds"]),
            "a_mb_per_s": round(sizes[name] / 1e6 / la["seconds"], 2),
            "a_cpu_s": {k: round(v, 2) for k, v in la.items() if k != "seconds"},
            "b_docs_per_s": round(n / lb["seconds"]),
            "b_cpu_s": {k: round(v, 2) for k, v in lb.items() if k != "seconds"},
            "c_docs_per_s": round(lc["docs"] / lc["seconds"]) if lc["docs"] else None,
            "a_over_b": round(lb["seconds"] / la["seconds"], 3),
            "a_over_c": round(lc["seconds"] / lc["docs"] * n / la["seconds"], 1)
            if lc["docs"] else None,
        })  # fmt: skip
    per_collection.sort(key=lambda r: r["a_over_b"])
    rate = {
        "a": docs / a,
        "b": docs / b,
        "c": c_docs / c_sec,
        "a_proxy": docs / a_proxy,
        "c_proxy": cp_docs / cp_sec,
    }
    cores = os.cpu_count() or 1
    return {
        "generator": "bench/docgen.py (registry shapes, seed 7; tenth: seed 8)",
        "scale": scale,
        "counts": counts,
        "dump_bytes": size,
        "cores": cores,
        "machine": "shared by several engineers; load averages (1 min) at each step below",
        "load_average_1min_at_start_of": loads,
        "per_collection_worst_first": per_collection,
        "a_loader": {
            "seconds": round(a, 2),
            "docs_per_s": round(rate["a"]),
            "mb_per_s": round(size / 1e6 / a, 2),
            "cpu_s": {k: round(v, 2) for k, v in a_cpu.items()},
            # The fastest (a) could run here: every core busy with it, nothing else running.
            "cpu_bound_docs_per_s": round(cores * docs / a_cpu["total"]),
        },
        "b_raw_copy": {
            "seconds": round(b, 2),
            "docs_per_s": round(rate["b"]),
            "cpu_s": {k: round(v, 2) for k, v in b_cpu.items()},
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
            "worst_collection_a_over_b": per_collection[0]["a_over_b"],
        },
        "targets": {
            "a_over_b": ">= 0.5 (aim 0.75), whole dump and worst collection",
            "a_over_c": ">= 4",
            "a_over_c_proxy": ">= 50",
            "rss_ratio": "<= 1.1",
        },
    }


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    main()
