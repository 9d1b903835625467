"""PgBouncer in transaction mode in front of the test PostgreSQL, as on Neon's pooled endpoint.

Debian's `pgbouncer` package; every database of the server is reachable through it (wildcard
entry), with the same user and password (SCRAM against the server). Tests reach it under a
Neon-style `-pooler` host name, which the application recognises as a transaction pooler (no
server-side prepared statements, no session advisory locks), exactly as a deployment behind
Neon's pooled endpoint is detected.
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
from psycopg.conninfo import make_conninfo

from pmo_playbook.db.cluster import EMBEDDED_SYSTEM_USER, free_port
from pmo_playbook.db.url import DatabaseUrl

PGBOUNCER = Path("/usr/sbin/pgbouncer")
# The host name under which tests reach their PgBouncer: a Neon-style `-pooler` name, which the
# application recognises as a transaction pooler on any port, resolved to loopback by hostaddr.
# Each test process (xdist worker) runs its own PgBouncer on a free port, so they run in parallel.
POOLER_HOST = "ep-test-pooler.invalid"
_server: list[DatabaseUrl] = []  # the server behind the running PgBouncer (for `direct`)
_port: list[int] = []  # the port the running PgBouncer listens on


def enabled() -> bool:
    """Whether this test session runs its databases through PgBouncer (PMO_TEST_PGBOUNCER=1)."""
    return os.environ.get("PMO_TEST_PGBOUNCER", "") not in ("", "0")


def _config(server: DatabaseUrl, work_dir: Path, port: int) -> str:
    params = server.params
    return f"""[databases]
* = host={params.get("host", "127.0.0.1")} port={params["port"]}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
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
    """PgBouncer on a free loopback port in front of `server` until the block ends."""
    if not PGBOUNCER.exists():
        pytest.fail(f"{PGBOUNCER} not found (scripts/test.sh installs the pgbouncer package)")
    port = free_port()
    params = server.params
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "userlist.txt").write_text(f'"{params["user"]}" "{params["password"]}"\n')
    (work_dir / "pgbouncer.ini").write_text(_config(server, work_dir, port))
    command = [str(PGBOUNCER), str(work_dir / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        shutil.chown(work_dir, EMBEDDED_SYSTEM_USER)
        for name in ("userlist.txt", "pgbouncer.ini"):
            shutil.chown(work_dir / name, EMBEDDED_SYSTEM_USER)
        command[1:1] = ["-u", EMBEDDED_SYSTEM_USER]
    # Its log goes to the logfile; a pipe for stderr would fill up and stall the pooler.
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while not _answers(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            log = work_dir / "pgbouncer.log"
            tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
            pytest.fail(f"pgbouncer did not start: {' / '.join(tail) or 'no log'}")
        time.sleep(0.1)
    _server.append(server)
    _port.append(port)
    try:
        yield
    finally:
        _server.remove(server)
        _port.remove(port)
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
    return DatabaseUrl(
        f"postgresql://{user}:{password}@{POOLER_HOST}:{_port[-1]}/{url.dbname}?hostaddr=127.0.0.1"
    )


def direct(url: DatabaseUrl) -> DatabaseUrl:
    """The same database on the server itself, bypassing PgBouncer (a URL not through it is
    returned as is): what runs on a deployment's direct endpoint, such as a migration."""
    if not _server or url.params.get("port") != str(_port[-1]):
        return url
    return _server[-1].with_database(url.dbname)


def neon_style_pooler(url: DatabaseUrl) -> DatabaseUrl:
    """The same server and database under a Neon-style `-pooler` host name (hostaddr skips the
    DNS lookup), so the application takes it for a transaction pooler without one running."""
    params = direct(url).params
    return DatabaseUrl(
        make_conninfo(
            host="ep-test-pooler.invalid",
            hostaddr="127.0.0.1",
            port=params["port"],
            dbname=params["dbname"],
            user=params["user"],
            password=params["password"],
        )
    )
