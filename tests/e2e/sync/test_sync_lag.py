"""Lag per module in `pmo migrate status` and /healthz during a cut-over.

Stand-in: nx-27017 (wire protocol over SQLite, real pymongo driver; see conftest). MongoDB-owned
modules: lag is unknown (None) until the sync loaded and caught up once, then the seconds since
it last found nothing pending; a PostgreSQL-owned module with a write not yet in MongoDB: the
age of that write, and the pending count; both fall back to 0 once the sync applied it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import psycopg
import pymongo

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.repositories.cutover import CutoverRepository
from pmo_playbook.sync.runner import legacy_database, run_sync
from tests.e2e.sops.conftest import ActingClient
from tests.e2e.sync.test_cutover_nx import MINIMAL
from tests.e2e.sync.test_sync_nx import project
from tests.support.app import app_client
from tests.support.cli import run_pmo_in_process as run_pmo


def _status(db_url: DatabaseUrl) -> dict[str, dict[str, Any]]:
    result = run_pmo("migrate", "status", "--json", env={"DATABASE_URL": db_url.raw})
    assert result.returncode == 0, result.stderr
    return {m["module"]: m for m in json.loads(result.stdout)["cutover"]}


def test_lag_per_module_in_status_and_healthz_nx(
    nx: str, db_url: DatabaseUrl, tmp_path: Path
) -> None:
    client: pymongo.MongoClient[Any] = pymongo.MongoClient(nx, tz_aware=True)
    client["legacy"]["projects"].insert_many([project(n) for n in range(1, 4)])
    with psycopg.connect(db_url.raw) as conn:
        CutoverRepository(conn).start()
    assert _status(db_url)["projects"]["lag_seconds"] is None  # not loaded yet
    run_sync(db_url, legacy_database(nx))
    loaded = _status(db_url)
    assert 0 <= loaded["projects"]["lag_seconds"] < 30
    assert loaded["projects"]["owner"] == "mongodb" and loaded["projects"]["pending"] == 0
    with psycopg.connect(db_url.raw) as conn:
        CutoverRepository(conn).set_owner("projects", "postgresql")
    with app_client(db_url, tmp_path) as raw_client:
        api = ActingClient(raw_client)
        assert api.post("/api/projects", json=MINIMAL).status_code == 201
        time.sleep(1.1)
        health = {m["module"]: m for m in api.get("/healthz").json()["cutover"]}
        waiting = _status(db_url)
        assert health["projects"]["pending"] == waiting["projects"]["pending"] == 1
        assert health["projects"]["lag_seconds"] >= 1.0
        assert waiting["projects"]["lag_seconds"] >= 1.0
        assert set(health) == {"projects", "sops", "chat", "feedback", "proposals", "users"}
        run_sync(db_url, legacy_database(nx))  # the outbox reaches MongoDB
        after = {m["module"]: m for m in api.get("/healthz").json()["cutover"]}
    assert after["projects"]["pending"] == 0 and after["projects"]["lag_seconds"] == 0.0
    assert _status(db_url)["projects"]["lag_seconds"] == 0.0
