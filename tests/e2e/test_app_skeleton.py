"""The application shell: health, error envelope for 404/405/413/422/500, request ids."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.web.app import create_app
from tests.support.app import app_client, settings_for
from tests.support.pg import TestServer


def _assert_envelope(body: dict[str, object], code: str) -> None:
    assert set(body) == {"error", "code", "details"}
    assert isinstance(body["error"], str) and body["error"]
    assert body["code"] == code


def test_healthz_reports_database_and_schema_version(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == db_url.dbname
    assert isinstance(body["schemaVersion"], int) and body["schemaVersion"] >= 1
    assert response.headers["x-request-id"]


def test_unknown_route_is_404_envelope(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        response = client.get("/api/no-such-route")
    assert response.status_code == 404
    _assert_envelope(response.json(), "NOT_FOUND")


def test_wrong_method_is_405_envelope(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        response = client.delete("/healthz")
    assert response.status_code == 405
    _assert_envelope(response.json(), "METHOD_NOT_ALLOWED")


def test_body_over_limit_is_413_envelope(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path, PMO_MAX_BODY_BYTES=2048) as client:
        response = client.post("/healthz", content=b"x" * 5000)
    assert response.status_code == 413
    _assert_envelope(response.json(), "PAYLOAD_TOO_LARGE")


def test_forced_crash_is_500_envelope_without_internals(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    app = create_app(settings_for(db_url, tmp_path))
    boom = APIRouter()

    @boom.get("/api/boom")
    def _boom() -> None:
        raise RuntimeError("secret internals: SELECT * FROM users; postgresql://u:pw@h/db")

    app.include_router(boom)
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/boom")
    assert response.status_code == 500
    body = response.json()
    _assert_envelope(body, "INTERNAL_ERROR")
    assert "SELECT" not in response.text and "secret" not in response.text
    assert body["details"]["requestId"] == response.headers["x-request-id"]


def test_database_outage_is_503_envelope(
    pg_server: TestServer, db_url: DatabaseUrl, tmp_path: Path
) -> None:
    """When the database disappears under a running app, requests get a retryable 503."""
    with app_client(db_url, tmp_path, PMO_DB_CONNECT_TIMEOUT=1, PMO_DB_POOL_MIN=0) as client:
        assert client.get("/healthz").status_code == 200
        pg_server.drop_database(db_url.dbname)
        response = client.get("/healthz")
    assert response.status_code == 503
    _assert_envelope(response.json(), "DATABASE_UNAVAILABLE")
    assert response.headers["retry-after"] == "5"
