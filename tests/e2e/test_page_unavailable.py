"""The HTML 503 page (database unavailable, server busy) carries Retry-After like the JSON
envelope, whether the route or the auth middleware found the database gone."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pmo_playbook.db.url import DatabaseUrl
from tests.support.app import app_client
from tests.support.pg import TestServer


def test_page_database_loss_is_html_503_with_retry_after(
    pg_server: TestServer, db_url: DatabaseUrl, tmp_path: Path
) -> None:
    settings = {"PMO_DB_CONNECT_TIMEOUT": 1, "PMO_DB_POOL_MIN": 0}
    with app_client(db_url, tmp_path, **settings) as client:
        assert client.get("/chat").status_code == 200
        pg_server.drop_database(db_url.dbname)
        client.cookies.clear()
        anonymous = client.get("/chat")  # the route's connection fails
        client.cookies.set("pmo_session", "s" * 43)
        signed_in = client.get("/chat")  # the auth middleware's session lookup fails
        api = client.get("/api/projects")
    for response in (anonymous, signed_in):
        assert response.status_code == 503, response.text
        assert response.headers["content-type"].startswith("text/html")
        assert "<h1" in response.text and "Service Unavailable" in response.text
        assert response.headers["retry-after"] == "5"
    assert api.status_code == 503 and api.json()["code"] == "DATABASE_UNAVAILABLE"
    assert api.headers["retry-after"] == "5"


def test_page_server_busy_is_html_503_with_retry_after(db_url: DatabaseUrl, tmp_path: Path) -> None:
    settings = {"PMO_DB_POOL_MIN": 1, "PMO_DB_POOL_MAX": 1, "PMO_DB_POOL_TIMEOUT": 0.01}
    with app_client(db_url, tmp_path, **settings) as client, ThreadPoolExecutor(40) as pool:
        responses = list(pool.map(lambda _: client.get("/chat"), range(80)))
    busy = [r for r in responses if r.status_code != 200]
    assert busy, "the burst never overflowed the bounded wait"
    for response in busy:
        assert response.status_code == 503, response.text
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["retry-after"] == "1"
