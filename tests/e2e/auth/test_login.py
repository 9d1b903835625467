"""Login and logout through the real app and database: API and pages, cookies, lastLogin."""

from __future__ import annotations

from pathlib import Path

import psycopg

from pmo_playbook.db.url import DatabaseUrl
from tests.e2e.auth.helpers import PASSWORD, csrf_headers, login, make_user
from tests.support.app import app_client


def _set_cookie_headers(response: object) -> list[str]:
    return [v for k, v in response.headers.multi_items() if k == "set-cookie"]  # type: ignore[attr-defined]


def _cookie(headers: list[str], name: str) -> str:
    found = [h for h in headers if h.startswith(f"{name}=")]
    assert len(found) == 1, headers
    return found[0]


def test_api_login_sets_session_cookie_and_me_reports_user(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    make_user(db_url, "Alice@Example.com", role="admin")
    with app_client(db_url, tmp_path) as client:
        response = client.post(
            "/api/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["success"] is True
        assert body["user"]["email"] == "alice@example.com"
        assert body["user"]["role"] == "admin"
        assert "password" not in response.text.lower().replace("haspassword", "")
        me = client.get("/api/auth/me").json()
    assert me["authenticated"] is True and me["via"] == "session"
    assert me["user"]["email"] == "alice@example.com"
    assert me["csrfToken"] == body["csrfToken"]


def test_login_updates_last_login(db_url: DatabaseUrl, tmp_path: Path) -> None:
    user = make_user(db_url, "bob@example.com")
    assert user.last_login is None
    with app_client(db_url, tmp_path) as client:
        login(client, "bob@example.com")
    with psycopg.connect(db_url.raw) as conn:
        row = conn.execute(
            "SELECT last_login, data->>'lastLogin' FROM users WHERE user_id = %s",
            (user.user_id,),
        ).fetchone()
    assert row is not None and row[0] is not None
    assert row[1].endswith("Z") and row[1][:19] == row[0].strftime("%Y-%m-%dT%H:%M:%S")


def test_session_cookie_flags_over_http(db_url: DatabaseUrl, tmp_path: Path) -> None:
    make_user(db_url, "carol@example.com")
    with app_client(db_url, tmp_path) as client:
        response = client.post(
            "/api/auth/login", json={"email": "carol@example.com", "password": PASSWORD}
        )
    session = _cookie(_set_cookie_headers(response), "pmo_session")
    assert "HttpOnly" in session
    assert "SameSite=lax" in session or "SameSite=Lax" in session
    assert "Path=/" in session
    assert "Secure" not in session
    csrf = _cookie(_set_cookie_headers(response), "pmo_csrf")
    assert "HttpOnly" not in csrf


def test_session_cookie_is_secure_behind_https_proxy(db_url: DatabaseUrl, tmp_path: Path) -> None:
    make_user(db_url, "dave@example.com")
    with app_client(db_url, tmp_path) as client:
        response = client.post(
            "/api/auth/login",
            json={"email": "dave@example.com", "password": PASSWORD},
            headers={"X-Forwarded-Proto": "https"},
        )
        client.cookies.clear()
        direct = client.get("https://testserver/api/auth/me")
    assert "Secure" in _cookie(_set_cookie_headers(response), "pmo_session")
    assert "Secure" in _cookie(_set_cookie_headers(direct), "pmo_visitor")


def test_session_cookie_secure_can_be_forced(db_url: DatabaseUrl, tmp_path: Path) -> None:
    make_user(db_url, "erin@example.com")
    with app_client(db_url, tmp_path, PMO_SESSION_COOKIE_SECURE=True) as client:
        response = client.post(
            "/api/auth/login", json={"email": "erin@example.com", "password": PASSWORD}
        )
    assert "Secure" in _cookie(_set_cookie_headers(response), "pmo_session")


def test_logout_ends_the_server_side_session(db_url: DatabaseUrl, tmp_path: Path) -> None:
    make_user(db_url, "frank@example.com")
    with app_client(db_url, tmp_path) as client:
        login(client, "frank@example.com")
        stolen = client.cookies.get("pmo_session")
        response = client.post("/api/auth/logout", headers=csrf_headers(client))
        assert response.status_code == 200
        assert client.get("/api/auth/me").json()["authenticated"] is False
        client.cookies.set("pmo_session", stolen or "")
        assert client.get("/api/auth/me").json()["authenticated"] is False
    with psycopg.connect(db_url.raw) as conn:
        assert conn.execute("SELECT count(*) FROM login_sessions").fetchone() == (0,)


def test_session_ids_are_stored_hashed(db_url: DatabaseUrl, tmp_path: Path) -> None:
    make_user(db_url, "gina@example.com")
    with app_client(db_url, tmp_path) as client:
        login(client, "gina@example.com")
        raw = client.cookies.get("pmo_session")
    with psycopg.connect(db_url.raw) as conn:
        stored = conn.execute("SELECT session_hash FROM login_sessions").fetchall()
    assert raw and len(stored) == 1
    assert stored[0][0] != raw and len(stored[0][0]) == 64


def test_login_page_form_logs_in_and_redirects(db_url: DatabaseUrl, tmp_path: Path) -> None:
    make_user(db_url, "hank@example.com")
    with app_client(db_url, tmp_path) as client:
        page = client.get("/login?next=/sops")
        assert page.status_code == 200 and 'name="csrf_token"' in page.text
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        response = client.post(
            "/login",
            data={
                "email": "hank@example.com",
                "password": PASSWORD,
                "csrf_token": token,
                "next": "/sops",
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/sops"
        assert client.get("/api/auth/me").json()["user"]["email"] == "hank@example.com"


def test_login_page_refuses_offsite_next(db_url: DatabaseUrl, tmp_path: Path) -> None:
    make_user(db_url, "ivan@example.com")
    with app_client(db_url, tmp_path) as client:
        page = client.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        response = client.post(
            "/login",
            data={
                "email": "ivan@example.com",
                "password": PASSWORD,
                "csrf_token": token,
                "next": "//evil.example/",
            },
            follow_redirects=False,
        )
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_login_page_shows_error_without_revealing_account(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    make_user(db_url, "jane@example.com")
    with app_client(db_url, tmp_path) as client:
        page = client.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        wrong = client.post(
            "/login",
            data={"email": "jane@example.com", "password": "wrong-pass", "csrf_token": token},
        )
        unknown = client.post(
            "/login",
            data={"email": "nobody@example.com", "password": "wrong-pass", "csrf_token": token},
        )
    assert wrong.status_code == unknown.status_code == 401
    assert (
        "Invalid email or password." in wrong.text and "Invalid email or password." in unknown.text
    )
