"""PgBouncer in transaction mode in front of the test PostgreSQL, as on Neon's pooled endpoint.

Debian's `pgbouncer` package; every database of the server is reachable through it (wildcard
entry), with the same user and password (SCRAM against the server). It listens on 6432, the
port the application recognises as a transaction pooler (no server-side prepared statements, no
session advisory locks), exactly as a deployment behind PgBouncer would be detected.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

from pmo_playbook.db.cluster import EMBEDDED_SYSTEM_USER
from pmo_playbook.db.url import DatabaseUrl

PGBOUNCER = Path("/usr/sbin/pgbouncer")
POOLER_PORT = 6432
_server: list[DatabaseUrl] = []  # the server behind the running PgBouncer (for `direct`)


def enabled() -> bool:
    """Whether this test session runs its databases through PgBouncer (PMO_TEST_PGBOUNCER=1)."""
    return os.environ.get("PMO_TEST_PGBOUNCER", "") not in ("", "0")


def _config(server: DatabaseUrl, work_dir: Path) -> str:
    params = server.params
    return f"""[databases]
* = host={params.get("host", "127.0.0.1")} port={params["port"]}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {POOLER_PORT}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = {work_dir / "userlist.txt"}
pool_mode = transaction
max_client_conn = 2000
default_pool_size = 40
max_db_connections = 0
server_lifetime = 600
server_idle_timeout = 30
ignore_startup_parameters = extra_float_digits,options
logfile = {work_dir / "pgbouncer.log"}
pidfile = {work_dir / "pgbouncer.pid"}
"""


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def running_pgbouncer(server: DatabaseUrl, work_dir: Path) -> Iterator[None]:
    """PgBouncer on 127.0.0.1:6432 in front of `server` until the block ends."""
    if not PGBOUNCER.exists():
        pytest.fail(f"{PGBOUNCER} not found (scripts/test.sh installs the pgbouncer package)")
    if _answers(POOLER_PORT):
        pytest.fail(f"port {POOLER_PORT} is already in use; the PgBouncer run needs it")
    params = server.params
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "userlist.txt").write_text(f'"{params["user"]}" "{params["password"]}"\n')
    (work_dir / "pgbouncer.ini").write_text(_config(server, work_dir))
    command = [str(PGBOUNCER), str(work_dir / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        shutil.chown(work_dir, EMBEDDED_SYSTEM_USER)
        for name in ("userlist.txt", "pgbouncer.ini"):
            shutil.chown(work_dir / name, EMBEDDED_SYSTEM_USER)
        command[1:1] = ["-u", EMBEDDED_SYSTEM_USER]
    # Its log goes to the logfile; a pipe for stderr would fill up and stall the pooler.
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while not _answers(POOLER_PORT):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            log = work_dir / "pgbouncer.log"
            tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
            pytest.fail(f"pgbouncer did not start: {' / '.join(tail) or 'no log'}")
        time.sleep(0.1)
    _server.append(server)
    try:
        yield
    finally:
        _server.remove(server)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def pooled(url: DatabaseUrl) -> DatabaseUrl:
    """The same database and credentials, through the PgBouncer started by `running_pgbouncer`."""
    params = url.params
    user, password = quote(params["user"], safe=""), quote(params["password"], safe="")
    return DatabaseUrl(f"postgresql://{user}:{password}@127.0.0.1:{POOLER_PORT}/{url.dbname}")


def direct(url: DatabaseUrl) -> DatabaseUrl:
    """The same database on the server itself, bypassing PgBouncer (a URL not through it is
    returned as is): what runs on a deployment's direct endpoint, such as a migration."""
    if not _server or url.params.get("port") != str(POOLER_PORT):
        return url
    return _server[-1].with_database(url.dbname)
