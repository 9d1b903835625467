"""Journey during a cut-over (ownership lives in PostgreSQL; no MongoDB stand-in needed): an
admin sees the projects the legacy application owns read-only, with a notice naming the owner
and no create/edit/delete controls; once the module is switched the controls are back; a form
left open across a rollback is answered 409 with a page naming the owner, and nothing changes."""

from __future__ import annotations

import re

import psycopg
import pytest

from pmo_playbook.repositories.cutover import CutoverRepository
from tests.browser.conftest import LiveServer, Ui

pytestmark = pytest.mark.browser


def _owners(live_server: LiveServer, **owners: str) -> None:
    with psycopg.connect(live_server.db_url) as conn:
        repo = CutoverRepository(conn)
        repo.start()
        for module, owner in owners.items():
            repo.set_owner(module, owner)


def _project_name(live_server: LiveServer, project_id: str) -> str:
    with psycopg.connect(live_server.db_url) as conn:
        row = conn.execute(
            "SELECT data->>'projectName' FROM projects WHERE project_id = %s", (project_id,)
        ).fetchone()
    assert row is not None
    return str(row[0])


def test_cutover_pages_read_only_then_switched_then_stale_form_refused(
    ui: Ui, live_server: LiveServer
) -> None:
    page = ui.page
    ui.login()
    _owners(live_server)  # the cut-over starts: MongoDB owns every module
    ui.goto("/admin/projects")
    notice = page.locator(".read-only-notice")
    assert notice.count() == 1
    assert "projects module is owned by" in notice.inner_text()
    assert "legacy application (MongoDB)" in notice.inner_text()
    rows = page.locator("tr[data-project-id]")
    assert rows.count() == 2  # the synced data is shown
    assert page.get_by_role("link", name="New Project").count() == 0
    assert page.get_by_role("button", name=re.compile("^Delete")).count() == 0
    assert page.get_by_role("link", name=re.compile("^Edit")).count() == 0
    ui.goto("/admin/users")
    assert page.get_by_role("button", name="Create user").count() == 0

    _owners(live_server, projects="postgresql")  # switched: the controls are back
    ui.goto("/admin/projects")
    assert page.locator(".read-only-notice").count() == 0
    assert page.get_by_role("link", name="New Project").count() == 1
    project_id = rows.first.get_attribute("data-project-id")
    assert project_id
    before = _project_name(live_server, project_id)
    ui.goto(f"/admin/projects/{project_id}/edit")
    page.get_by_label("Project Name (required)").fill("Renamed after the rollback")

    _owners(live_server, projects="mongodb")  # rolled back while the form was open
    ui.expect_status(409, "/admin/projects/save")
    page.get_by_role("button", name="Update Project").click()
    page.wait_for_load_state()
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Conflict"
    assert "The projects module is owned by mongodb" in page.locator("main").inner_text()
    ui.shot("refused")
    assert _project_name(live_server, project_id) == before
