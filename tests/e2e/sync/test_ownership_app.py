"""The application during a cut-over without any MongoDB (no stand-in needed: ownership lives in
PostgreSQL): writes to MongoDB-owned modules answer 409 and write nothing, reads work, login
works without recording last_login, /healthz shows the modules."""

from __future__ import annotations

from pathlib import Path

import psycopg

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.repositories.cutover import CutoverRepository
from tests.e2e.auth.helpers import PASSWORD, login, make_user
from tests.e2e.sync.conftest import row_count
from tests.support.app import app_client


def _start_cutover(url: DatabaseUrl) -> None:
    with psycopg.connect(url.raw) as conn:
        CutoverRepository(conn).start()


def test_ownership_mongodb_owned_writes_refused_reads_and_login_work(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    make_user(db_url, "admin@example.com", role="admin")
    _start_cutover(db_url)
    with app_client(db_url, tmp_path) as client:
        body = login(client, "admin@example.com", PASSWORD)  # last_login write skipped
        assert body["success"] is True
        headers = {"X-CSRF-Token": client.cookies.get("pmo_csrf") or ""}
        refused = client.post(
            "/api/projects",
            json={"projectName": "X", "sponsor": "A", "businessCaseSummary": "B",
                  "resourceRequirements": "C"},
            headers=headers,
        )  # fmt: skip
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "MODULE_NOT_OWNED"
        assert refused.json()["details"] == {"module": "projects", "owner": "mongodb"}
        assert client.get("/api/projects").status_code == 200
        health = client.get("/healthz").json()
    assert row_count(db_url, "projects") == 0
    with psycopg.connect(db_url.raw) as conn:
        row = conn.execute("SELECT last_login FROM users").fetchone()
    assert row is not None and row[0] is None
    assert {m["module"]: m["owner"] for m in health["cutover"]}["users"] == "mongodb"


def test_ownership_never_synced_database_owns_everything(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    make_user(db_url, "admin@example.com", role="admin")
    with app_client(db_url, tmp_path) as client:
        login(client, "admin@example.com", PASSWORD)
        assert client.get("/healthz").json()["cutover"] is None
    with psycopg.connect(db_url.raw) as conn:
        row = conn.execute("SELECT last_login FROM users").fetchone()
    assert row is not None and row[0] is not None
