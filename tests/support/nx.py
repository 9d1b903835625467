"""nx-27017, a MongoDB wire-protocol stand-in over SQLite, started on a free port.

No mongod can be installed on these machines; nx-27017 speaks the protocol the real pymongo
driver uses (connect, list, batched cursors and, with --threaded, change streams).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pymongo
import pytest

from pmo_playbook.db.cluster import free_port


@contextmanager
def running_nx(work_dir: Path, *, threaded: bool = False) -> Iterator[str]:
    """An in-memory nx-27017 until the block ends; yields `mongodb://127.0.0.1:PORT` once it
    answers a ping."""
    exe = shutil.which("nx-27017") or str(Path(sys.executable).with_name("nx-27017"))
    port = free_port()
    cmd = [exe, "--db", "memory", "-p", str(port), "--pid-file", str(work_dir / "nx.pid")]
    proc = subprocess.Popen(
        [*cmd, *(["--threaded"] if threaded else [])],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    uri = f"mongodb://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            client: pymongo.MongoClient = pymongo.MongoClient(uri, serverSelectionTimeoutMS=500)
            try:
                client.admin.command("ping")
            finally:
                client.close()
            break
        except pymongo.errors.PyMongoError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("nx-27017 did not start")
            time.sleep(0.2)
    try:
        yield uri
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
