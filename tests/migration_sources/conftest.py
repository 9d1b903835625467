"""Fixtures for the source tests: the shared fixtures folder and a live nx-27017 server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pymongo
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def nx_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running nx-27017: a MongoDB wire-protocol stand-in (SQLite behind it) on a free port.

    No real mongod can be installed here; nx-27017 speaks the protocol the real pymongo driver
    uses, so the live source is exercised end to end (connect, list, batched cursors).
    """
    exe = shutil.which("nx-27017") or str(Path(sys.executable).with_name("nx-27017"))
    port = _free_port()
    pid_file = tmp_path_factory.mktemp("nx") / "nx.pid"
    proc = subprocess.Popen(
        [exe, "--db", "memory", "-p", str(port), "--pid-file", str(pid_file)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    uri = f"mongodb://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            client: pymongo.MongoClient = pymongo.MongoClient(uri, serverSelectionTimeoutMS=500)
            client.admin.command("ping")
            client.close()
            break
        except pymongo.errors.PyMongoError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("nx-27017 did not start")
            time.sleep(0.2)
    yield uri
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
