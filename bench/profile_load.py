"""Where the loader's CPU goes: cProfile of our process beside the CPU seconds of each side.

    .venv/bin/python -m bench.profile_load [--scale 20000] [--collection message_feedback]
        [--inline] [--top 25] [--repeat 1]

Generates the registry-shaped dump of bench/docgen.py (seed 7), optionally keeps only one
collection, and runs `migrate()` into a fresh database of a throw-away cluster under cProfile
(main process). Prints, per run, wall seconds and the CPU seconds of the main process, of the
encoding worker (waited-for children) and of the server (every process of the cluster), then
the top functions by own time. `--inline` encodes in the main process (no worker), so that the
encoder's functions appear in the profile. The machine may be shared: CPU seconds are the
figures to compare, `uptime` is printed beside them.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.cpu import CpuSnapshot
from bench.docgen import generate
from bench.migrate import Server, raw_copy
from pmo_playbook.migration.load.loader import LoadOptions
from pmo_playbook.migration.load.run import migrate
from pmo_playbook.migration.sources import open_source


def _keep_only(dump: Path, collection: str) -> None:
    for path in (dump / "pmo_playbook").iterdir():
        if path.name.split(".")[0] != collection:
            path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=20_000)
    parser.add_argument("--collection", default=None)
    parser.add_argument("--inline", action="store_true", help="no encoding worker")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--sort", default="tottime", help="pstats key: tottime, cumulative")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pmo-profile-") as tmp:
        root = Path(tmp)
        dump = root / "dump"
        generate(dump, args.scale)
        if args.collection:
            _keep_only(dump, args.collection)
        server = Server(root)
        try:
            for _ in range(args.repeat):
                _run_once(server, dump, args)
        finally:
            server.cluster.destroy()
        shutil.rmtree(dump, ignore_errors=True)


def _run_once(server: Server, dump: Path, args: argparse.Namespace) -> None:
    url = server.fresh()
    options = LoadOptions(worker_threshold=None) if args.inline else LoadOptions()
    source = open_source(str(dump))
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    profile = None if args.no_profile else cProfile.Profile()
    before, started = CpuSnapshot.take(server.cluster.data_dir), time.perf_counter()
    if profile is not None:
        profile.enable()
    report = migrate(url, source, options)
    if profile is not None:
        profile.disable()
    wall = time.perf_counter() - started
    spent = before.seconds_to(CpuSnapshot.take(server.cluster.data_dir))
    source.close()
    assert report.ok, "the loader's verification failed"
    docs = sum(c.read for c in report.collections)
    print(f"uptime: {uptime}")
    print(
        f"{docs} docs, wall {wall:.2f} s; CPU s main {spent['main']:.2f} worker "
        f"{spent['worker']:.2f} server {spent['server']:.2f} total {spent['total']:.2f}"
    )
    copy_wall, per_table = raw_copy(url, server.fresh(), server.cluster.data_dir)
    copy_server = sum(t["server"] for t in per_table.values())
    print(
        f"binary COPY of the same rows: wall {copy_wall:.2f} s, server CPU {copy_server:.2f} s; "
        f"loader/COPY wall {copy_wall / wall:.3f}x, loader CPU / COPY CPU "
        f"{spent['total'] / max(copy_server, 1e-9):.2f}"
    )
    if profile is not None:
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
