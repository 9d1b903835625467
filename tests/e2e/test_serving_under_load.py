"""Serving under load: no deadlock with a tiny pool, a shared lockout against parallel guesses,
spoofed X-Forwarded-For ignored unless the peer is a trusted proxy."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi.testclient import TestClient
from starlette.requests import Request

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.web.client_address import client_address
from tests.e2e.auth.helpers import PASSWORD, make_token, make_user
from tests.support.app import app_client
from tests.support.pg import TestServer


def test_serving_100_concurrent_requests_pool_of_2_all_answered(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    make_user(db_url, "load@example.com")
    token = make_token(db_url, "load@example.com")
    settings = {"PMO_DB_POOL_MIN": 1, "PMO_DB_POOL_MAX": 2, "PMO_DB_POOL_TIMEOUT": 3}
    with app_client(db_url, tmp_path, **settings) as client:

        def call(index: int) -> tuple[int, str | None, float]:
            headers = {"authorization": f"Bearer {token}"} if index % 2 else {}
            started = time.monotonic()
            response = client.get("/api/projects", headers=headers)
            code = response.json().get("code") if response.status_code != 200 else None
            if response.status_code == 503:
                assert response.headers.get("retry-after")
            return response.status_code, code, time.monotonic() - started

        with ThreadPoolExecutor(max_workers=100) as pool:
            results = list(pool.map(call, range(100)))
    statuses = {status for status, _code, _t in results}
    assert statuses <= {200, 503}, results
    assert all(code in (None, "SERVER_BUSY") for _s, code, _t in results)
    assert sum(1 for status, _c, _t in results if status == 200) >= 2
    assert max(t for _s, _c, t in results) < 3 + 10  # the bounded wait, not a hang


def test_serving_lockout_holds_against_30_parallel_guesses(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    make_user(db_url, "guess@example.com")
    with app_client(db_url, tmp_path, PMO_LOGIN_MAX_FAILURES=5) as client:

        def guess(_index: int) -> int:
            body = {"email": "guess@example.com", "password": "wrong-password"}
            return TestClient.post(client, "/api/auth/login", json=body).status_code

        with ThreadPoolExecutor(max_workers=30) as pool:
            statuses = list(pool.map(guess, range(30)))
    assert statuses.count(401) == 5, statuses
    assert statuses.count(429) == 25, statuses


def _request(peer: str, forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())]
    return Request({"type": "http", "client": (peer, 50000), "headers": headers})


def test_serving_spoofed_forwarded_for_ignored_unless_peer_trusted() -> None:
    spoof = _request("127.0.0.1", "203.0.113.9")
    assert client_address(spoof, "") == "127.0.0.1"
    assert client_address(spoof, "10.0.0.0/8") == "127.0.0.1"
    via_proxy = _request("10.0.0.2", "198.51.100.1, 203.0.113.9, 10.0.0.3")
    assert client_address(via_proxy, "10.0.0.0/8") == "203.0.113.9"


def test_serving_lockout_shared_between_two_app_processes(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    """Two apps with their own pools (as two workers or replicas) count failures in one place."""
    make_user(db_url, "shared@example.com")
    settings = {"PMO_LOGIN_MAX_FAILURES": 3, "PMO_LOGIN_LOCKOUT_SECONDS": 60}
    body = {"email": "shared@example.com", "password": "wrong-password"}
    right = {"email": "shared@example.com", "password": PASSWORD}
    with (
        app_client(db_url, tmp_path / "a", **settings) as first,
        app_client(db_url, tmp_path / "b", **settings) as second,
    ):
        failures = [first.post("/api/auth/login", json=body).status_code for _ in range(2)]
        failures.append(second.post("/api/auth/login", json=body).status_code)
        locked = first.post("/api/auth/login", json=right)
    assert failures == [401, 401, 401]
    assert locked.status_code == 429
    assert locked.json()["code"] == "RATE_LIMITED"


def test_serving_busy_pool_answers_503_retry_after_then_recovers(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    """A wait shorter than the burst needs: the overflow is 503 SERVER_BUSY with Retry-After
    (never 500), and afterwards every permit and connection is back (the app still answers)."""
    settings = {"PMO_DB_POOL_MIN": 1, "PMO_DB_POOL_MAX": 2, "PMO_DB_POOL_TIMEOUT": 0.05}
    with app_client(db_url, tmp_path, **settings) as client:

        def call(_index: int) -> tuple[int, str | None, str | None]:
            response = client.get("/api/projects")
            code = response.json().get("code") if response.status_code != 200 else None
            return response.status_code, code, response.headers.get("retry-after")

        with ThreadPoolExecutor(max_workers=100) as pool:
            results = list(pool.map(call, range(100)))
        after = [client.get("/healthz").status_code for _ in range(5)]
    busy = [result for result in results if result[0] != 200]
    assert busy, "the burst never overflowed the bounded wait"
    assert all(result == (503, "SERVER_BUSY", "1") for result in busy), busy
    assert after == [200] * 5


def test_serving_database_loss_is_503_for_bearer_and_cookie_callers(
    pg_server: TestServer, db_url: DatabaseUrl, tmp_path: Path
) -> None:
    """The auth middleware looks the credential up on the request's connection: a lost
    database is 503 DATABASE_UNAVAILABLE for authenticated callers too, never a 500."""
    make_user(db_url, "down@example.com")
    token = make_token(db_url, "down@example.com")
    settings = {"PMO_DB_CONNECT_TIMEOUT": 1, "PMO_DB_POOL_MIN": 0}
    with app_client(db_url, tmp_path, **settings) as client:
        assert client.get("/api/projects", headers={"authorization": f"Bearer {token}"}).is_success
        pg_server.drop_database(db_url.dbname)
        bearer = client.get("/api/projects", headers={"authorization": f"Bearer {token}"})
        client.cookies.set("pmo_session", "s" * 43)
        cookie = client.get("/api/projects")
    for response in (bearer, cookie):
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "DATABASE_UNAVAILABLE"
        assert response.headers["retry-after"] == "5"
