"""Journey: an admin creates a project and opens its dashboard; milestone dates show as typed
(no time-zone shift, D38, checked in a US time zone); deactivating hides it from the dropdown."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, Ui, _new_ui

pytestmark = pytest.mark.browser


@pytest.fixture
def ui_us(browser: Any, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Ui]:
    """A browser in New York time: UTC-midnight parsing would show milestones a day early."""
    yield from _new_ui(browser, live_server, request.node.name, timezone_id="America/New_York")


def test_create_project_and_open_dashboard(ui_us: Ui) -> None:
    ui = ui_us
    ui.login()
    ui.goto("/admin/projects")
    page = ui.page
    page.get_by_role("link", name="New Project").click()
    page.get_by_label("Project Name (required)").fill("Warehouse Robotics Pilot")
    page.get_by_label("Sponsor (required)").fill("Grace Hopper, COO")
    page.get_by_label("Business Case Summary (required)").fill(
        "Cut picking time.\nPilot in one site."
    )
    page.get_by_label("Resource Requirements (required)").fill("Two robotics engineers")
    page.get_by_label("Project Team").fill("Alan Turing - PM\nAda Lovelace - Engineer")
    page.get_by_label("Project Objectives").fill("Reduce picking time by 20%")
    page.get_by_label("Milestone 1 date").fill("2026-03-01")
    page.get_by_label("Milestone 1 description").fill("Pilot go-live")
    ui.shot("form")
    page.get_by_role("button", name="Create Project").click()
    page.wait_for_url(re.compile(r"/admin/projects\?saved=PRO-\d{3}$"))
    project_id = page.url.rsplit("=", 1)[1]
    assert project_id == "PRO-003"  # after the two seeded projects
    row = page.locator(f'tr[data-project-id="{project_id}"]')
    assert "Warehouse Robotics Pilot" in row.inner_text()
    assert "Active" in row.inner_text()
    # the dropdown lists it; its dashboard shows the charter fields
    page.get_by_text("Select Project").click()
    page.locator(".projects-dropdown").get_by_role(
        "link", name=re.compile("Warehouse Robotics Pilot")
    ).click()
    page.wait_for_url(re.compile(f"/pro/{project_id}$"))
    ui.shot("dashboard")
    assert page.get_by_role("heading", level=1).inner_text() == "Warehouse Robotics Pilot"
    assert "Sponsor: Grace Hopper, COO" in page.locator(".meta").first.inner_text()
    milestone = page.locator(".milestones li")
    assert milestone.inner_text() == "1 Mar 2026 — Pilot go-live"
    assert milestone.locator("time").get_attribute("datetime") == "2026-03-01"
    assert page.locator(".chips li").all_inner_texts() == [
        "Alan Turing - PM",
        "Ada Lovelace - Engineer",
    ]
    assert page.get_by_text("No milestones defined").count() == 0
    assert page.get_by_text("No stakeholders defined").is_visible()
    # deactivate: gone from the dropdown, and its dashboard becomes a 404 page
    ui.goto("/admin/projects")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete Warehouse Robotics Pilot").click()
    page.wait_for_url(re.compile(r"deleted=PRO-003"))
    assert "Project PRO-003 deleted" in page.locator(".alert.ok").inner_text()
    assert page.locator(f'tr[data-project-id="{project_id}"]').count() == 0
    page.get_by_label("Show inactive projects").check()
    page.get_by_role("button", name="Apply").click()
    assert "Inactive" in page.locator(f'tr[data-project-id="{project_id}"]').inner_text()
    ui.expect_status(404, f"/pro/{project_id}")
    assert ui.goto(f"/pro/{project_id}").status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Project Not Found"
