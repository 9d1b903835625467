"""Helpers for auth tests: real users in the test database, real logins through the app."""

from __future__ import annotations

import psycopg
from fastapi.testclient import TestClient

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.documents.users import User
from pmo_playbook.services.tokens import issue_token
from pmo_playbook.services.users import create_user

PASSWORD = "correct horse battery staple"


def make_user(
    db_url: DatabaseUrl,
    email: str,
    role: str = "user",
    password: str | None = PASSWORD,
    name: str = "Test User",
) -> User:
    """A committed user row (the app's pool sees it)."""
    with psycopg.connect(db_url.raw) as conn:
        return create_user(conn, email, name, role, password)


def make_token(db_url: DatabaseUrl, email: str, name: str = "test") -> str:
    """A committed API token for `email`; returns the raw token."""
    with psycopg.connect(db_url.raw) as conn:
        return issue_token(conn, email, name).token


def csrf_headers(client: TestClient) -> dict[str, str]:
    """The X-CSRF-Token header for the client's current cookies (pmo_csrf)."""
    token = client.cookies.get("pmo_csrf")
    assert token, "no pmo_csrf cookie yet: make a GET request first"
    return {"X-CSRF-Token": token}


def login(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, object]:
    """Log in through POST /api/auth/login (a cookie-less client needs no CSRF token)."""
    headers = csrf_headers(client) if client.cookies.get("pmo_csrf") else {}
    response = client.post(
        "/api/auth/login", json={"email": email, "password": password}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body
