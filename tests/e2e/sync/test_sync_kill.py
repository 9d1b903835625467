"""kill -9 of `pmo migrate sync --follow` (its own process, SIGKILL at seeded random moments,
several per run) in the two directions the first kill test (test_sync_nx) does not cover.

Stand-in: nx-27017 (wire protocol over SQLite, real pymongo driver, started --threaded). The
poll test forces `--mode poll`: nx-27017 has change streams, so the fallback is chosen by
the option, exactly as it is chosen on a standalone server that refuses `watch`; mongomock
cannot serve it, it lives inside one process and a killed sync would take the data with it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pymongo

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.sync.runner import legacy_database, run_sync
from tests.e2e.sops.conftest import ActingClient
from tests.e2e.sync.conftest import mongo_documents, postgres_documents, row_count
from tests.e2e.sync.test_cutover_nx import MINIMAL, _switch, following
from tests.e2e.sync.test_sync_nx import project
from tests.support.app import app_client


def _follower(nx: str, url: DatabaseUrl, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url.raw, "PMO_LOG_LEVEL": "ERROR"}
    cmd = [sys.executable, "-m", "pmo_playbook", "migrate", "sync", "--from", nx, "--follow"]
    return subprocess.Popen(
        [*cmd, "--interval", "0.05", *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def _outbox(url: DatabaseUrl) -> int:
    with psycopg.connect(url.raw) as conn:
        row = conn.execute("SELECT count(*) FROM sync_outbox").fetchone()
    return int(row[0]) if row else 0


def test_sync_outbound_kill_9_under_api_writes_nx(
    nx: str, db_url: DatabaseUrl, tmp_path: Path
) -> None:
    """PostgreSQL -> MongoDB: projects switched to PostgreSQL, a steady stream of creates and
    updates through our API while the sync applying the outbox is SIGKILLed 4 times (seed 1919)
    and restarted; afterwards MongoDB holds every row in the legacy shape, once each."""
    rng = random.Random(1919)
    client: pymongo.MongoClient[Any] = pymongo.MongoClient(nx, tz_aware=True)
    coll = client["legacy"]["projects"]
    coll.insert_many([project(n) for n in range(1, 6)])
    run_sync(db_url, legacy_database(nx))
    with following(db_url, nx):
        _switch(db_url, nx, "projects", "postgresql")
    follower = _follower(nx, db_url)
    kills, created, updates = 0, [f"PRO-{n:03d}" for n in range(1, 6)], 0
    with app_client(db_url, tmp_path) as raw_client:
        api = ActingClient(raw_client)
        try:
            for step in range(80):
                if rng.random() < 0.5:
                    made = api.post("/api/projects", json={**MINIMAL, "sponsor": f"S{step}"})
                    assert made.status_code == 201, made.text
                    created.append(made.json()["project"]["projectId"])
                else:
                    pid = rng.choice(created)
                    body = {**MINIMAL, "projectName": f"{pid} v{step}"}
                    changed = api.put(f"/api/projects/{pid}", json=body)
                    assert changed.status_code == 200, changed.text
                    updates += 1
                time.sleep(0.01)
                if step % 20 == 11:  # SIGKILL wherever the applier is, then restart it
                    time.sleep(rng.uniform(0.0, 0.2))
                    _kill(follower)
                    kills += 1
                    follower = _follower(nx, db_url)
        finally:
            _kill(follower)
    run_sync(db_url, legacy_database(nx))  # drains what the last process left queued
    expected = postgres_documents(db_url, "projects")
    assert kills == 4 and updates > 10
    assert _outbox(db_url) == 0
    assert mongo_documents(client.legacy, "projects") == expected  # identical, per document
    assert coll.count_documents({}) == row_count(db_url, "projects") == len(set(created))


def test_sync_poll_mode_kill_9_with_deletes_nx(nx: str, db_url: DatabaseUrl) -> None:
    """MongoDB -> PostgreSQL by polling (`--mode poll`, `_id` comparison every pass): inserts,
    updates (updatedAt moves) and deletes while the sync is SIGKILLed 4 times (seed 4242);
    the deletes are found by the `_id` reconciliation; PostgreSQL ends identical."""
    rng = random.Random(4242)
    client: pymongo.MongoClient[Any] = pymongo.MongoClient(nx, tz_aware=True)
    coll = client["legacy"]["projects"]
    coll.insert_many([project(n) for n in range(1, 16)])
    next_n, alive = 16, list(range(1, 16))
    follower = _follower(nx, db_url, "--mode", "poll", "--reconcile", "0")
    kills = deleted = 0
    try:
        for step in range(80):
            op = rng.random()
            now = datetime.now(UTC)
            if op < 0.35 or not alive:
                coll.insert_one({**project(next_n), "createdAt": now, "updatedAt": now})
                alive.append(next_n)
                next_n += 1
            elif op < 0.75:
                n = rng.choice(alive)
                coll.update_one(
                    {"projectId": f"PRO-{n:03d}"},
                    {"$set": {"projectName": f"P{n} v{step}", "updatedAt": now}},
                )
            else:
                n = alive.pop(rng.randrange(len(alive)))
                coll.delete_one({"projectId": f"PRO-{n:03d}"})
                deleted += 1
            time.sleep(0.01)
            if step % 20 == 13:
                time.sleep(rng.uniform(0.0, 0.3))
                _kill(follower)
                kills += 1
                follower = _follower(nx, db_url, "--mode", "poll", "--reconcile", "0")
    finally:
        _kill(follower)
    run_sync(db_url, legacy_database(nx), mode="poll", reconcile_seconds=0)
    expected = mongo_documents(client.legacy, "projects")
    assert kills == 4 and deleted > 5
    assert postgres_documents(db_url, "projects") == expected
    assert row_count(db_url, "projects") == len(expected) == len(alive)
    with psycopg.connect(db_url.raw) as conn:
        row = conn.execute(
            "SELECT mode FROM sync_collections WHERE collection = 'projects'"
        ).fetchone()
    assert row is not None and row[0] == "poll"
