"""HTTP benchmark of `pmo serve` against the legacy application, run on demand.

    .venv/bin/python -m bench.api [--legacy /work/legacy-build] [--duration 8] [--rounds 2]
                                  [--connections 20,50,200] [--workers N]

One throw-away PostgreSQL cluster (TCP on loopback, `ssl = on` with a self-signed certificate
because the legacy app's `pg` pool connects with SSL in production mode, max_connections 300)
holds both schemas with the same rows: ours in `public` (`pmo db create-schema` +
`pmo migrate run` of the legacy fixture dump), the legacy app's in schema `legacy` (its own
DDL, then `load.sql` copies our projects and human SOPs into it). Both servers must answer 200
with the same number of projects before anything is timed.

Then, for each connection count and endpoint, `wrk` runs alternate between the two servers
(ours, legacy, ours, legacy, ...) so both see the same background load on this shared machine;
ratios are medians over those alternating runs. Per run: req/s, p50/p99 latency, failed
requests (non-2xx/3xx answers + socket errors: connect, read, write, timeout) and the RSS of
the server's whole process tree after the run. The offline chat (POST /api/chat) is timed on
ours only: the legacy chat answers 500 without an OpenAI key. The load average (`uptime`) is
recorded before and after. Results: bench/results/api.json, plus a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psycopg

from pmo_playbook.db.cluster import LocalCluster, free_port

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "api.json"
DUMP = Path("/work/shared/fixtures/legacy-mongo/dump")
LOAD_SQL = Path("/work/shared/peers/legacy-app/load.sql")
PASSWORD = "bench-s3cret"
DB = "bench"
WRK = "/usr/bin/wrk"
# Debian's PostgreSQL 15 (built with OpenSSL; the embedded wheel is not)
PG_BIN = Path("/usr/lib/postgresql/15/bin")

ENDPOINTS: dict[str, str] = {
    "projects": "/api/projects",
    "sop": "/api/content-db?sopId=SOP-001&type=human",
    "project": "/api/projects/PRO-001",
    "chat": "/api/chat",
}
CHAT_BODY = '{"message": "How do I write a project charter?"}'


# --- database ---------------------------------------------------------------------------------


def _self_signed_cert(data_dir: Path, owner: str) -> None:
    """server.crt/server.key in the data folder, owned by the server's system user."""
    subprocess.run(
        [
            "openssl",
            "req",
            "-new",
            "-x509",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(data_dir / "server.key"),
            "-out",
            str(data_dir / "server.crt"),
        ],
        check=True,
        capture_output=True,
    )
    (data_dir / "server.key").chmod(0o600)
    if os.geteuid() == 0:
        shutil.chown(data_dir / "server.key", owner, owner)
        shutil.chown(data_dir / "server.crt", owner, owner)


def start_database(work: Path) -> LocalCluster:
    cluster = LocalCluster(
        data_dir=work / "pg",
        bin_dir=PG_BIN,
        port=free_port(),
        listen_tcp=True,
        superuser_password=PASSWORD,
    )
    cluster.initialize()
    _self_signed_cert(cluster.data_dir, cluster.system_user)
    with (cluster.data_dir / "postgresql.conf").open("a") as conf:
        conf.write("\n# bench/api.py\nssl = on\nmax_connections = 300\nshared_buffers = 128MB\n")
        conf.write("fsync = off\nsynchronous_commit = off\n")  # both apps alike; not durability
    cluster.start()
    return cluster


def _psql(cluster: LocalCluster, url: str, *args: str) -> None:
    result = subprocess.run(
        [str(cluster.bin_dir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"psql {' '.join(args)} failed:\n{result.stderr[-2000:]}")


def load_both_schemas(cluster: LocalCluster, legacy_dir: Path | None, env: dict[str, str]) -> None:
    admin = cluster.url("postgres", tcp=True)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DB}")
    pmo = [str(ROOT / ".venv" / "bin" / "pmo")]
    for args in (["db", "create-schema"], ["migrate", "run", "--from", str(DUMP)]):
        result = subprocess.run(pmo + args, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SystemExit(f"pmo {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    if legacy_dir is None:
        return
    db_url = cluster.url(DB, tcp=True)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("CREATE ROLE legacy LOGIN PASSWORD 'legacy'")
        conn.execute("CREATE SCHEMA legacy AUTHORIZATION legacy")
        conn.execute(f"ALTER ROLE legacy IN DATABASE {DB} SET search_path = legacy, public")
        for ext in ("uuid-ossp", "pg_trgm", "btree_gin"):
            conn.execute(f'CREATE EXTENSION IF NOT EXISTS "{ext}"')
    ddl = (legacy_dir / "database-schema.sql").read_text()
    ddl = "\n".join(
        line for line in ddl.splitlines() if not line.startswith("COMMENT ON TABLE agent_sops")
    )
    schema_file = cluster.data_dir.parent / "legacy-schema.sql"
    schema_file.write_text(ddl)
    legacy_url = f"postgresql://legacy:legacy@127.0.0.1:{cluster.port}/{DB}"
    _psql(cluster, legacy_url, "-f", str(schema_file))
    _psql(cluster, legacy_url, "-f", str(legacy_dir / "database-add-slug-migration.sql"))
    _psql(cluster, db_url, "-f", str(LOAD_SQL))


# --- servers ----------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    base: str
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def rss_mb(self) -> float:
        """RSS of the server process and all its descendants (workers), in MB."""
        total = 0
        pending = [self.proc.pid]
        while pending:
            pid = pending.pop()
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            match = re.search(r"VmRSS:\s+(\d+) kB", status)
            total += int(match.group(1)) if match else 0
            pending.extend(int(k) for k in kids)
        return round(total / 1024, 1)


def _get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _wait_ready(server: Server, path: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise SystemExit(f"{server.name} exited with {server.proc.returncode}")
        try:
            if _get(server.base + path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{server.name} did not answer {path} within {seconds:.0f} s")


def start_ours(env: dict[str, str], work: Path, workers: int | None) -> Server:
    port = free_port()
    args = [str(ROOT / ".venv" / "bin" / "pmo"), "serve", "--port", str(port)]
    if workers is not None:
        args += ["--workers", str(workers)]
    log = (work / "pmo.log").open("wb")
    proc = subprocess.Popen(args, env=env, stdout=log, stderr=log, start_new_session=True)
    server = Server("pmo", f"http://127.0.0.1:{port}", proc)
    _wait_ready(server, "/api/projects", 60)
    return server


def start_legacy(legacy_dir: Path, cluster: LocalCluster, work: Path) -> Server:
    port = free_port()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgresql://legacy:legacy@127.0.0.1:{cluster.port}/{DB}",
        OPENAI_API_KEY="sk-none",
        NEXT_TELEMETRY_DISABLED="1",
        NODE_ENV="production",
        # the self-signed certificate: the legacy pool connects with SSL and verifies it
        NODE_TLS_REJECT_UNAUTHORIZED="0",
    )
    args = ["node", "node_modules/next/dist/bin/next", "start", "-p", str(port)]
    log = (work / "legacy.log").open("wb")
    proc = subprocess.Popen(
        args, cwd=legacy_dir, env=env, stdout=log, stderr=log, start_new_session=True
    )
    server = Server("legacy", f"http://127.0.0.1:{port}", proc)
    _wait_ready(server, "/api/projects", 90)
    return server


def check_same_rows(servers: list[Server]) -> int:
    counts = {}
    for server in servers:
        status, body = _get(server.base + "/api/projects")
        if status != 200:
            raise SystemExit(f"{server.name} GET /api/projects answered {status}")
        counts[server.name] = len(json.loads(body)["projects"])
        for key, path in ENDPOINTS.items():
            if key != "chat" and _get(server.base + path)[0] != 200:
                raise SystemExit(f"{server.name} GET {path} did not answer 200")
    if len(set(counts.values())) != 1:
        raise SystemExit(f"the servers list different numbers of projects: {counts}")
    return next(iter(counts.values()))


# --- wrk --------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"wrk latency {text!r}")
    return round(float(match.group(1)) * _UNITS[match.group(2)], 2)


@dataclass
class Run:
    server: str
    endpoint: str
    connections: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    failed: int
    non_2xx: int
    socket_errors: int
    rss_mb: float


def parse_wrk(out: str) -> dict[str, Any]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    socket_errors = sum(int(x) for x in sock.groups()) if sock else 0
    bad = int(non2xx.group(1)) if non2xx else 0
    return {
        "requests_per_s": rps,
        "p50_ms": p50,
        "p99_ms": p99,
        "requests": total,
        "non_2xx": bad,
        "socket_errors": socket_errors,
        "failed": bad + socket_errors,
    }


def run_wrk(server: Server, endpoint: str, connections: int, seconds: int, work: Path) -> Run:
    url = server.base + ENDPOINTS[endpoint]
    args = [
        WRK,
        "-t",
        "2",
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "--latency",
    ]
    if endpoint == "chat":
        script = work / "chat.lua"
        script.write_text(
            'wrk.method = "POST"\n'
            f"wrk.body = {json.dumps(CHAT_BODY)}\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
        args += ["-s", str(script)]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    numbers = parse_wrk(out)
    return Run(server.name, endpoint, connections, rss_mb=server.rss_mb(), **numbers)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


# --- summary ----------------------------------------------------------------------------------


def summarise(runs: list[Run]) -> list[dict[str, Any]]:
    rows = []
    keys = sorted({(r.endpoint, r.connections) for r in runs}, key=lambda k: (k[1], k[0]))
    for endpoint, conns in keys:
        row: dict[str, Any] = {"endpoint": endpoint, "connections": conns}
        for name in ("pmo", "legacy"):
            mine = [
                r for r in runs if (r.server, r.endpoint, r.connections) == (name, endpoint, conns)
            ]
            if not mine:
                continue
            row[name] = {
                "requests_per_s": round(statistics.median(r.requests_per_s for r in mine), 1),
                "p50_ms": round(statistics.median(r.p50_ms for r in mine), 2),
                "p99_ms": round(statistics.median(r.p99_ms for r in mine), 2),
                "failed": sum(r.failed for r in mine),
                "rss_mb": max(r.rss_mb for r in mine),
                "runs": len(mine),
            }
        if "legacy" in row:
            row["ratio"] = round(row["pmo"]["requests_per_s"] / row["legacy"]["requests_per_s"], 2)
        rows.append(row)
    # worst case first: the lowest ratio (chat, ours only, by its p50)
    rows.sort(key=lambda r: (r.get("ratio", 99.0), -r["pmo"]["p50_ms"]))
    return rows


def latency(cell: dict[str, Any] | None) -> str:
    return f"{cell['p50_ms']} / {cell['p99_ms']}" if cell else "–"


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| endpoint | conns | pmo req/s | pmo p50 / p99 ms | legacy req/s | legacy p50 / p99 ms "
        "| ratio | failed pmo / legacy | RSS MB pmo / legacy |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        ours, theirs = row["pmo"], row.get("legacy")
        lines.append(
            f"| {row['endpoint']} | {row['connections']} | {ours['requests_per_s']} "
            f"| {latency(ours)} "
            f"| {theirs['requests_per_s'] if theirs else '–'} "
            f"| {latency(theirs)} "
            f"| {row.get('ratio', '–')} "
            f"| {ours['failed']} / {theirs['failed'] if theirs else '–'} "
            f"| {ours['rss_mb']} / {theirs['rss_mb'] if theirs else '–'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--legacy", type=Path, help="folder of the built legacy app")
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs per cell")
    parser.add_argument("--connections", default="20,50,200")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS))
    parser.add_argument("--workers", type=int, help="pmo serve --workers (default: its own)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    connections = [int(c) for c in args.connections.split(",")]
    endpoints = [e for e in args.endpoints.split(",") if e]
    work = Path(tempfile.mkdtemp(prefix="pmo-bench-api-"))
    os.chmod(work, 0o755)
    cluster = start_database(work)
    servers: list[Server] = []
    try:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=cluster.url(DB, tcp=True),
            PMO_DATA_DIR=str(work / "data"),
            PMO_CHAT_RATE_LIMIT_PER_MINUTE="0",  # the bench is one client asking thousands of times
        )
        env.pop("OPENAI_API_KEY", None)
        print("loading both schemas ...", file=sys.stderr)
        load_both_schemas(cluster, args.legacy, env)
        servers.append(start_ours(env, work, args.workers))
        if args.legacy:
            servers.append(start_legacy(args.legacy, cluster, work))
        projects = check_same_rows(servers)
        load_before = uptime()
        runs: list[Run] = []
        for conns in connections:
            for endpoint in endpoints:
                contenders = servers if endpoint != "chat" else servers[:1]
                for _ in range(args.rounds):
                    for server in contenders:
                        run = run_wrk(server, endpoint, conns, args.duration, work)
                        runs.append(run)
                        print(
                            f"{run.server:6} {endpoint:8} c={conns:3} "
                            f"{run.requests_per_s:8.1f} req/s p50 {run.p50_ms} p99 "
                            f"{run.p99_ms} failed {run.failed}",
                            file=sys.stderr,
                        )
        rows = summarise(runs)
        result = {
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": {
                "cpus": os.cpu_count(),
                "shared": True,
                "uptime_before": load_before,
                "uptime_after": uptime(),
            },
            "settings": {
                "duration_s": args.duration,
                "rounds": args.rounds,
                "workers": args.workers,
                "wrk_threads": 2,
                "projects_listed": projects,
            },
            "summary": rows,
            "runs": [asdict(r) for r in runs],
        }
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(result, indent=2) + "\n")
        print(f"load before: {load_before}\nload after:  {result['machine']['uptime_after']}")
        print(markdown(rows))
    finally:
        for server in servers:
            server.stop()
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
