"""Brute-force lockout, uniform errors, CSRF, bearer tokens, and no secrets in logs."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher, Type
from fastapi.testclient import TestClient
from httpx import Response

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.repositories.users import UserRepository
from tests.e2e.auth.helpers import PASSWORD, csrf_headers, login, make_token, make_user
from tests.support.app import app_client


def _login(client: TestClient, email: str, password: object) -> Response:
    """POST /api/auth/login as a browser would (echoing the CSRF cookie once it has one)."""
    headers = csrf_headers(client) if client.cookies.get("pmo_csrf") else {}
    return client.post(
        "/api/auth/login", json={"email": email, "password": password}, headers=headers
    )


def test_lockout_after_n_failures_then_success_after_window(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    make_user(db_url, "lock@example.com")
    settings = {"PMO_LOGIN_MAX_FAILURES": 3, "PMO_LOGIN_LOCKOUT_SECONDS": 2}
    with app_client(db_url, tmp_path, **settings) as client:
        statuses = [_login(client, "lock@example.com", "wrong-pw").status_code for _ in range(3)]
        locked = _login(client, "lock@example.com", PASSWORD)
        assert statuses == [401, 401, 401]
        assert locked.status_code == 429
        assert locked.json()["error"] == "Too many failed login attempts. Try again later."
        assert "pmo_session" not in locked.headers.get("set-cookie", "")
        time.sleep(2.2)
        assert _login(client, "lock@example.com", PASSWORD).status_code == 200


def test_lockout_applies_to_unknown_emails_identically(db_url: DatabaseUrl, tmp_path: Path) -> None:
    make_user(db_url, "real@example.com")
    settings = {"PMO_LOGIN_MAX_FAILURES": 2, "PMO_LOGIN_LOCKOUT_SECONDS": 60}
    with app_client(db_url, tmp_path, **settings) as client:
        real = [_login(client, "real@example.com", "bad-pw").json() for _ in range(3)]
        ghost = [_login(client, "ghost@example.com", "bad-pw").json() for _ in range(3)]
    assert real == ghost
    assert [r["code"] for r in real] == [
        "INVALID_CREDENTIALS",
        "INVALID_CREDENTIALS",
        "RATE_LIMITED",
    ]


def test_ip_lockout_across_accounts(db_url: DatabaseUrl, tmp_path: Path) -> None:
    make_user(db_url, "victim@example.com")
    settings = {"PMO_LOGIN_MAX_FAILURES": 50, "PMO_LOGIN_MAX_FAILURES_PER_IP": 4}
    with app_client(db_url, tmp_path, **settings) as client:
        for i in range(4):
            assert _login(client, f"spray{i}@example.com", "bad-pw").status_code == 401
        assert _login(client, "victim@example.com", PASSWORD).status_code == 429


def test_unknown_email_and_wrong_password_look_identical(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    make_user(db_url, "known@example.com")
    with app_client(db_url, tmp_path) as client:
        timings: dict[str, list[float]] = {"wrong": [], "unknown": []}
        bodies = {}
        for _ in range(3):
            for kind, email in (("wrong", "known@example.com"), ("unknown", "nope@example.com")):
                start = time.perf_counter()
                response = _login(client, email, "bad-password")
                timings[kind].append(time.perf_counter() - start)
                bodies[kind] = (response.status_code, response.json())
    assert bodies["wrong"] == bodies["unknown"]
    assert bodies["wrong"][1]["error"] == "Invalid email or password."
    # Both paths run one argon2 verification (tens of ms); an unknown email must not be fast.
    assert min(timings["unknown"]) > 0.5 * min(timings["wrong"])


def test_user_without_password_cannot_log_in(db_url: DatabaseUrl, tmp_path: Path) -> None:
    make_user(db_url, "migrated@example.com", password=None)
    with app_client(db_url, tmp_path) as client:
        response = _login(client, "migrated@example.com", "")
        empty_pw = _login(client, "migrated@example.com", "anything-at-all")
    assert response.status_code == 422  # empty password refused by the request model
    assert empty_pw.status_code == 401


def test_login_rehashes_weaker_hash(db_url: DatabaseUrl, tmp_path: Path) -> None:
    user = make_user(db_url, "old@example.com")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1, type=Type.ID)
    with psycopg.connect(db_url.raw) as conn:
        UserRepository(conn).replace_hash(user.user_id, weak.hash(PASSWORD))
    with app_client(db_url, tmp_path) as client:
        login(client, "old@example.com")
    with psycopg.connect(db_url.raw) as conn:
        row = conn.execute("SELECT password_hash FROM users").fetchone()
    assert row is not None and row[0].startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_login_body_with_operator_shapes_is_422(db_url: DatabaseUrl, tmp_path: Path) -> None:
    make_user(db_url, "op@example.com")
    with app_client(db_url, tmp_path) as client:
        for bad in ({"$gt": ""}, ["op@example.com"], 5):
            response = _login(client, bad, PASSWORD)  # type: ignore[arg-type]
            assert response.status_code == 422, bad
            pw = _login(client, "op@example.com", bad)
            assert pw.status_code == 422, bad


def test_csrf_rejects_cookie_authenticated_write_without_or_with_wrong_token(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    make_user(db_url, "csrf@example.com")
    with app_client(db_url, tmp_path) as client:
        login(client, "csrf@example.com")
        missing = client.post("/api/auth/logout")
        wrong = client.post("/api/auth/logout", headers={"X-CSRF-Token": "forged"})
        assert missing.status_code == 403 and missing.json()["code"] == "CSRF_FAILED"
        assert wrong.status_code == 403
        assert client.get("/api/auth/me").json()["authenticated"] is True
        right = client.post("/api/auth/logout", headers=csrf_headers(client))
        assert right.status_code == 200
        assert client.get("/api/auth/me").json()["authenticated"] is False


def test_csrf_protects_visitor_cookie_and_login_form(db_url: DatabaseUrl, tmp_path: Path) -> None:
    make_user(db_url, "form@example.com")
    with app_client(db_url, tmp_path) as client:
        client.get("/login")  # receives the visitor cookie
        form = {"email": "form@example.com", "password": PASSWORD}
        assert client.post("/login", data=form).status_code == 403
        assert client.post("/login", data={**form, "csrf_token": "nope"}).status_code == 403
        ok = client.post(
            "/login",
            data={**form, "csrf_token": client.cookies["pmo_csrf"]},
            follow_redirects=False,
        )
        assert ok.status_code == 303


def test_csrf_token_of_one_visitor_does_not_work_for_another(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    with app_client(db_url, tmp_path) as one, app_client(db_url, tmp_path) as two:
        one.get("/api/auth/me")
        two.get("/api/auth/me")
        assert one.cookies["pmo_csrf"] != two.cookies["pmo_csrf"]
        crossed = two.post("/api/auth/logout", headers={"X-CSRF-Token": one.cookies["pmo_csrf"]})
    assert crossed.status_code == 403


def test_bearer_requests_are_exempt_from_csrf(db_url: DatabaseUrl, tmp_path: Path) -> None:
    make_user(db_url, "bearer@example.com", role="admin")
    token = make_token(db_url, "bearer@example.com")
    with app_client(db_url, tmp_path) as client:
        headers = {"Authorization": f"Bearer {token}"}
        me = client.get("/api/auth/me", headers=headers).json()
        assert me["authenticated"] is True and me["via"] == "bearer"
        assert me["user"]["email"] == "bearer@example.com"
        response = client.post("/api/auth/logout", headers=headers)
        assert response.status_code == 200
        assert "pmo_visitor" not in response.headers.get("set-cookie", "")


def test_invalid_or_revoked_bearer_token_is_401(db_url: DatabaseUrl, tmp_path: Path) -> None:
    make_user(db_url, "rev@example.com")
    token = make_token(db_url, "rev@example.com", name="soon-revoked")
    with app_client(db_url, tmp_path) as client:
        assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()[
            "authenticated"
        ]
        from pmo_playbook.services.tokens import revoke_token

        with psycopg.connect(db_url.raw) as conn:
            revoke_token(conn, "soon-revoked")
        revoked = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        garbage = client.get("/healthz", headers={"Authorization": "Bearer pmo_garbage"})
    assert revoked.status_code == 401 and revoked.json()["code"] == "UNAUTHORIZED"
    assert garbage.status_code == 401


def test_public_read_false_requires_login_except_login_and_health(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    make_user(db_url, "priv@example.com")
    with app_client(db_url, tmp_path, PMO_PUBLIC_READ=False) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/login").status_code == 200
        assert client.get("/openapi.json").status_code == 401
        page = client.get("/sops", headers={"Accept": "text/html"}, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        login(client, "priv@example.com")
        assert client.get("/openapi.json").status_code == 200


def test_no_password_or_token_in_logs(
    db_url: DatabaseUrl, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret_pw = "Zebra-Secret-Passphrase-42"
    make_user(db_url, "logs@example.com", password=secret_pw)
    token = make_token(db_url, "logs@example.com")
    caplog.set_level(logging.DEBUG)
    with app_client(db_url, tmp_path, PMO_LOG_LEVEL="DEBUG") as client:
        _login(client, "logs@example.com", "Wrong-Secret-Guess-99")
        login(client, "logs@example.com", secret_pw)
        session = client.cookies.get("pmo_session")
        client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        client.get("/api/auth/me", headers={"Authorization": "Bearer pmo_Invalid-Token-Value"})
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "login succeeded" in text  # the capture really saw the auth logs
    for secret in (
        secret_pw,
        "Wrong-Secret-Guess-99",
        token,
        token[12:],
        session,
        "pmo_Invalid-Token-Value",
    ):
        assert secret and secret not in text
