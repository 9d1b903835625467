"""Module switch and rollback against nx-27017 (see conftest: wire-protocol stand-in with change
streams, --threaded, real pymongo driver) with our application's API over a real PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pymongo
from bson import ObjectId

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.sources import open_source
from pmo_playbook.sync.ownership import change_owner, module_status
from pmo_playbook.sync.runner import legacy_database, run_sync
from tests.e2e.sops.conftest import ActingClient
from tests.e2e.sync.conftest import decoded, mongo_documents, postgres_documents, row_count
from tests.e2e.sync.test_sync_nx import project
from tests.support.app import app_client

MINIMAL = {"projectName": "Made in PostgreSQL", "sponsor": "Ann",
           "businessCaseSummary": "Why", "resourceRequirements": "Two people"}  # fmt: skip


@contextmanager
def following(url: DatabaseUrl, nx: str) -> Iterator[None]:
    """`run_sync(follow=True)` in a thread for the duration of the block."""
    stop = threading.Event()
    failed: list[BaseException] = []

    def run() -> None:
        try:
            run_sync(url, legacy_database(nx), follow=True, interval=0.05, should_stop=stop.is_set)
        except BaseException as exc:  # surfaced by the test below
            failed.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
    assert failed == []


def _switch(url: DatabaseUrl, nx: str, module: str, to: str) -> None:
    source = open_source(nx)
    try:
        with psycopg.connect(url.raw) as conn:
            assert change_owner(conn, source, module, to, timeout=30)
    finally:
        source.close()


def _wait_for(check: Any, timeout: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_cutover_switch_write_rollback_nx(nx: str, db_url: DatabaseUrl, tmp_path: Path) -> None:
    client: pymongo.MongoClient[Any] = pymongo.MongoClient(nx, tz_aware=True)
    coll = client["legacy"]["projects"]
    coll.insert_many([project(n) for n in range(1, 4)])
    run_sync(db_url, legacy_database(nx))  # starts the cut-over: MongoDB owns every module
    with app_client(db_url, tmp_path) as raw_client:
        api = ActingClient(raw_client)
        # MongoDB owns projects: our API reads, refuses writes, writes nothing.
        assert api.get("/api/projects").status_code == 200
        refused = api.post("/api/projects", json=MINIMAL)
        assert refused.status_code == 409
        assert refused.json()["code"] == "MODULE_NOT_OWNED"
        assert refused.json()["details"] == {"module": "projects", "owner": "mongodb"}
        assert row_count(db_url, "projects") == 3
        with following(db_url, nx):
            _switch(db_url, nx, "projects", "postgresql")
            created = api.post("/api/projects", json=MINIMAL)
            assert created.status_code == 201, created.text
            pid = created.json()["project"]["projectId"]
            _wait_for(lambda: coll.find_one({"projectId": pid}) is not None)
            _wait_for(
                lambda: (
                    postgres_documents(db_url, "projects")
                    == mongo_documents(client.legacy, "projects")
                )
            )
            legacy = coll.find_one({"projectId": pid})
            assert isinstance(legacy["_id"], ObjectId)  # legacy shape: ObjectId, BSON dates
            assert legacy["createdAt"].tzinfo is not None
            assert list(decoded(mongo_documents(client.legacy, "projects")[str(legacy["_id"])]))[
                :2
            ] == ["_id", "projectId"]
            _switch(db_url, nx, "projects", "mongodb")
            coll.update_one({"projectId": "PRO-001"}, {"$set": {"projectName": "Back in Mongo"}})
            _wait_for(
                lambda: (
                    postgres_documents(db_url, "projects")
                    == mongo_documents(client.legacy, "projects")
                )
            )
        assert api.post("/api/projects", json=MINIMAL).status_code == 409
    with psycopg.connect(db_url.raw) as conn:
        status = {s.module: s for s in module_status(conn)}
    assert status["projects"].owner == "mongodb" and status["projects"].verify == "clean"
