"""Live sync against nx-27017 (a MongoDB wire-protocol stand-in over SQLite, started here with
--threaded so a change stream can wait while other clients write) with the real pymongo driver:
no mongod can be installed on these machines."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pymongo
import pytest
from bson import ObjectId

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.sync.runner import legacy_database, run_sync


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def nx(tmp_path: Path) -> Iterator[str]:
    exe = shutil.which("nx-27017") or str(Path(sys.executable).with_name("nx-27017"))
    port = _free_port()
    proc = subprocess.Popen(
        [
            exe,
            "--db",
            "memory",
            "-p",
            str(port),
            "--threaded",
            "--pid-file",
            str(tmp_path / "nx.pid"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    uri = f"mongodb://127.0.0.1:{port}/legacy"
    deadline = time.monotonic() + 20
    while True:
        try:
            pymongo.MongoClient(uri, serverSelectionTimeoutMS=500).admin.command("ping")
            break
        except pymongo.errors.PyMongoError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("nx-27017 did not start")
            time.sleep(0.2)
    yield uri
    proc.terminate()
    proc.wait(timeout=10)


def _project(n: int) -> dict[str, Any]:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    return {
        "_id": ObjectId(),
        "projectId": f"PRO-{n:03d}",
        "name": f"Project {n}",
        "isActive": True,
        "createdAt": now,
        "updatedAt": now,
    }


def _names(url: DatabaseUrl) -> dict[str, str]:
    with psycopg.connect(url.raw) as conn:
        return dict(conn.execute("SELECT project_id, data->>'name' FROM projects").fetchall())


def test_sync_full_load_then_changes_nx(nx: str, db_url: DatabaseUrl) -> None:
    client: pymongo.MongoClient[Any] = pymongo.MongoClient(nx, tz_aware=True)
    coll = client["legacy"]["projects"]
    coll.insert_many([_project(n) for n in range(1, 6)])
    db = legacy_database(nx)
    run_sync(db_url, db)
    assert _names(db_url) == {f"PRO-{n:03d}": f"Project {n}" for n in range(1, 6)}
    coll.update_one({"projectId": "PRO-002"}, {"$set": {"name": "Renamed"}})
    coll.delete_one({"projectId": "PRO-003"})
    coll.insert_one(_project(9))
    run_sync(db_url, db)
    names = _names(db_url)
    assert names["PRO-002"] == "Renamed" and "PRO-003" not in names and "PRO-009" in names
