"""Live sync MongoDB -> PostgreSQL against nx-27017 (see conftest: a wire-protocol stand-in
with change streams, started --threaded) with the real pymongo driver."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import pymongo
from bson import ObjectId

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.sync.runner import legacy_database, run_sync
from tests.e2e.sync.conftest import mongo_documents, postgres_documents, row_count


def project(n: int) -> dict[str, Any]:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    return {
        "_id": ObjectId(),
        "projectId": f"PRO-{n:03d}",
        "projectName": f"Project {n}",
        "isActive": True,
        "createdAt": now,
        "updatedAt": now,
    }


def test_sync_full_load_then_changes_nx(nx: str, db_url: DatabaseUrl) -> None:
    """nx-27017: an update of an already-loaded document updates its row (was quarantined as
    a natural-key clash), a delete deletes it, an insert adds one."""
    client: pymongo.MongoClient[Any] = pymongo.MongoClient(nx, tz_aware=True)
    coll = client["legacy"]["projects"]
    coll.insert_many([project(n) for n in range(1, 6)])
    db = legacy_database(nx)
    run_sync(db_url, db)
    assert postgres_documents(db_url, "projects") == mongo_documents(client.legacy, "projects")
    coll.update_one({"projectId": "PRO-002"}, {"$set": {"projectName": "Renamed"}})
    coll.delete_one({"projectId": "PRO-003"})
    coll.insert_one(project(9))
    run_sync(db_url, db)
    assert postgres_documents(db_url, "projects") == mongo_documents(client.legacy, "projects")
    names = {d["projectId"] for d in coll.find()}
    assert "PRO-003" not in names and "PRO-009" in names and len(names) == 5


def _start_follower(nx: str, url: DatabaseUrl) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url.raw, "PMO_LOG_LEVEL": "ERROR"}
    cmd = [sys.executable, "-m", "pmo_playbook", "migrate", "sync", "--from", nx, "--follow"]
    return subprocess.Popen(
        [*cmd, "--interval", "0.05"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def test_sync_follow_survives_kill_9_nx(nx: str, db_url: DatabaseUrl) -> None:
    """nx-27017, `pmo migrate sync --follow` in its own process: inserts, updates and deletes
    land in MongoDB while the sync is killed with SIGKILL at random moments and restarted;
    in the end every document is identical in PostgreSQL, none twice, none missing."""
    rng = random.Random(19)
    client: pymongo.MongoClient[Any] = pymongo.MongoClient(nx, tz_aware=True)
    coll = client["legacy"]["projects"]
    coll.insert_many([project(n) for n in range(1, 21)])
    next_n, alive = 21, list(range(1, 21))
    follower = _start_follower(nx, db_url)
    kills = 0
    try:
        for step in range(120):
            op = rng.random()
            if op < 0.4 or not alive:
                coll.insert_one(project(next_n))
                alive.append(next_n)
                next_n += 1
            elif op < 0.8:
                n = rng.choice(alive)
                coll.update_one(
                    {"projectId": f"PRO-{n:03d}"},
                    {"$set": {"projectName": f"P{n} v{step}", "sponsor": "S" * (step % 7)}},
                )
            else:
                n = alive.pop(rng.randrange(len(alive)))
                coll.delete_one({"projectId": f"PRO-{n:03d}"})
            if step % 30 == 17:  # SIGKILL mid-stream, then a new process resumes
                time.sleep(rng.uniform(0.0, 0.4))
                follower.send_signal(signal.SIGKILL)
                follower.wait(timeout=10)
                kills += 1
                follower = _start_follower(nx, db_url)
    finally:
        follower.send_signal(signal.SIGKILL)
        follower.wait(timeout=10)
    run_sync(db_url, legacy_database(nx))  # catch up what the last one had not applied
    expected = mongo_documents(client.legacy, "projects")
    assert kills == 4
    assert postgres_documents(db_url, "projects") == expected
    assert row_count(db_url, "projects") == len(expected) == len(alive)
