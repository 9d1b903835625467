"""The database stopped and started again under concurrent load, against a real `pmo serve`.

A throw-away cluster of its own (not the suite's shared server, which other tests use at the
same time). Anonymous reads, authenticated reads and authenticated writes run in threads the
whole time: every answer is 200/201 or 503 (never a 500 or a hang), every write the server
acknowledged is in the database afterwards, and the same server answers 200 again once
PostgreSQL is back, without a restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from pmo_playbook.db import schema
from pmo_playbook.db.cluster import LocalCluster
from tests.e2e.auth.helpers import make_token, make_user
from tests.support.pg import TestServer, start_cluster
from tests.support.serve import pmo_serve


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    cluster = start_cluster(tmp_path / "own-pg")
    try:
        yield cluster
    finally:
        cluster.destroy()


class Load:
    """Threads calling the server until stopped; every answer recorded with its time."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.answers: list[tuple[float, str, int, str]] = []
        self.acknowledged: list[str] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        kinds = ("anonymous", "bearer", "write")
        self.threads = [threading.Thread(target=self._run, args=(k,)) for k in kinds for _ in "ab"]

    def _call(self, client: httpx.Client, kind: str, n: int) -> httpx.Response:
        auth = {"authorization": f"Bearer {self.token}"}
        if kind == "anonymous":
            return client.get("/api/projects")
        if kind == "bearer":
            return client.get("/api/projects", headers=auth)
        body = {"projectName": f"Restart {n}", "sponsor": "Ops",
                "businessCaseSummary": "Survive a restart", "resourceRequirements": "None"}  # fmt: skip
        return client.post("/api/projects", json=body, headers=auth)

    def _run(self, kind: str) -> None:
        n = 0
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while not self.stop.is_set():
                n += 1
                try:
                    response = self._call(client, kind, n)
                except httpx.TransportError as exc:
                    self._record(kind, -1, type(exc).__name__)
                    continue
                code = ""
                if response.status_code >= 400:
                    code = str(response.json().get("code", ""))
                elif kind == "write":
                    with self._lock:
                        self.acknowledged.append(response.json()["project"]["projectId"])
                self._record(kind, response.status_code, code)
                time.sleep(0.02)

    def _record(self, kind: str, status: int, code: str) -> None:
        with self._lock:
            self.answers.append((time.monotonic(), kind, status, code))

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def test_serving_database_restart_under_load_503_then_recovers(
    own_cluster: LocalCluster, tmp_path: Path
) -> None:
    server = TestServer(own_cluster)
    name = server.create_database()
    url = server.url(name)
    with psycopg.connect(url.raw, autocommit=True) as conn:
        schema.apply_migrations(conn)
    make_user(url, "ops@example.com", role="admin")
    token = make_token(url, "ops@example.com")
    settings = {"PMO_DB_CONNECT_TIMEOUT": 1, "PMO_DB_POOL_TIMEOUT": 2, "PMO_DB_POOL_MIN": 1}
    with pmo_serve(url, tmp_path / "serve", **settings) as base, Load(base, token) as load:
        time.sleep(1.5)
        own_cluster.stop()
        stopped = time.monotonic()
        time.sleep(3)
        own_cluster.start()
        started = time.monotonic()
        time.sleep(4)
        after = [httpx.get(f"{base}/api/projects", timeout=30).status_code for _ in range(3)]
    answers = load.answers
    statuses = {status for _t, _k, status, _c in answers}
    assert statuses <= {200, 201, 503}, sorted(set(answers) - {a for a in answers if a[2] < 500})
    down = [a for a in answers if stopped + 0.5 < a[0] < started]
    assert any(status == 503 for _t, _k, status, _c in down), "no 503 while the database was down"
    assert {code for _t, _k, status, code in answers if status == 503} <= {
        "DATABASE_UNAVAILABLE",
        "SERVER_BUSY",
    }
    for kind in ("anonymous", "bearer", "write"):  # every kind of caller recovered
        last = [status for _t, k, status, _c in answers if k == kind][-3:]
        assert last and all(status in (200, 201) for status in last), (kind, last)
    assert after == [200, 200, 200]
    assert load.acknowledged, "no write was acknowledged"
    with psycopg.connect(url.raw) as conn:
        stored = {row[0] for row in conn.execute("SELECT project_id FROM projects")}
    assert set(load.acknowledged) <= stored  # no acknowledged write lost
