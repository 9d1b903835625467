"""The HTML pages during a cut-over (no MongoDB needed: ownership lives in PostgreSQL).

Signed in as an admin while MongoDB owns every module: every admin page shows the synced data
with a notice naming the owner and no write form of its module; every admin form POST answers
409 with an HTML page naming the owner and changes nothing. Giving one module to PostgreSQL
brings its forms back and leaves the others read-only."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.repositories.cutover import CutoverRepository
from pmo_playbook.sync.modules import modules_for_path
from tests.e2e.test_admin_pages_permissions import _calls, _seed, _state
from tests.support.app import app_client

ADMIN_PASSWORD = "admin-password-long-1"  # the admin `_seed` creates
# Form actions that render a preview or a validation and never touch the database.
NO_WRITE_POSTS = {"/admin/sops/preview", "/admin/sops/validate"}
WRITE_TARGET = re.compile(r'(?:<form[^>]*method="post"[^>]*action|hx-post)="([^"]+)"')


def _write_targets(html: str) -> set[str]:
    return set(WRITE_TARGET.findall(html))


def _start_cutover(url: DatabaseUrl) -> None:
    with psycopg.connect(url.raw) as conn:
        CutoverRepository(conn).start()


def _set_owner(url: DatabaseUrl, module: str, owner: str) -> None:
    with psycopg.connect(url.raw) as conn:
        CutoverRepository(conn).set_owner(module, owner)


@pytest.fixture
def seeded(db_url: DatabaseUrl, fixtures_dir: Path) -> dict[str, str]:
    return _seed(db_url, fixtures_dir)


def test_pages_mongodb_owned_modules_are_read_only_and_form_posts_are_409(
    db_url: DatabaseUrl, tmp_path: Path, seeded: dict[str, str]
) -> None:
    calls = _calls(seeded)
    _start_cutover(db_url)
    before = _state(db_url)
    with app_client(db_url, tmp_path) as client:
        response = client.post(
            "/api/auth/login", json={"email": "boss@example.com", "password": ADMIN_PASSWORD}
        )
        assert response.status_code == 200, response.text
        client.get("/sop/SOP-002")
        token = client.cookies.get("pmo_csrf")
        assert token
        pages: dict[str, str] = {}
        for (method, _), (path, form) in sorted(calls.items()):
            if method == "GET":
                page = client.get(path)
                if page.status_code == 200:
                    pages[path] = page.text
                continue
            refused = client.post(path, data={**form, "csrf_token": token})
            if path in NO_WRITE_POSTS:
                continue
            assert refused.status_code == 409, (path, refused.status_code, refused.text[:300])
            assert "text/html" in refused.headers["content-type"], path
            module = modules_for_path(path)[0]
            assert f"The {module} module is owned by mongodb" in refused.text, path
        chat = client.get("/chat").text
    assert _state(db_url) == before  # nothing written
    for path, html in {**pages, "/chat": chat}.items():
        modules = modules_for_path(path)
        foreign = {t for t in _write_targets(html) if modules_for_path(t)}
        assert foreign == set(), (path, foreign)  # no write form of a module we do not own
        for module in modules:
            assert f'data-module="{module}" data-owner="mongodb"' in html, (path, module)
    assert "Read-only during the cut-over" in pages["/admin/projects"]
    assert "New Project" not in pages["/admin/projects"]
    assert "Project Name (required)" not in pages["/admin/projects/new"]


def test_pages_switched_module_gets_its_forms_back(
    db_url: DatabaseUrl, tmp_path: Path, seeded: dict[str, str]
) -> None:
    _start_cutover(db_url)
    _set_owner(db_url, "projects", "postgresql")
    with app_client(db_url, tmp_path) as client:
        response = client.post(
            "/api/auth/login", json={"email": "boss@example.com", "password": ADMIN_PASSWORD}
        )
        assert response.status_code == 200, response.text
        projects = client.get("/admin/projects").text
        users = client.get("/admin/users").text
        token = client.cookies.get("pmo_csrf")
        saved = client.post(
            "/admin/projects/deactivate",
            data={"project_id": seeded["project"], "csrf_token": token},
            follow_redirects=False,
        )
    assert "/admin/projects/deactivate" in _write_targets(projects)
    assert "New Project" in projects and "Read-only during the cut-over" not in projects
    assert 'data-module="users" data-owner="mongodb"' in users
    assert not {t for t in _write_targets(users) if t.startswith("/admin/users")}
    assert saved.status_code in (200, 303), saved.text[:300]
    with psycopg.connect(db_url.raw) as conn:
        row = conn.execute("SELECT bool_and(is_active) FROM projects").fetchone()
    assert row is not None and row[0] is False
