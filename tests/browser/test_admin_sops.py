"""Journeys in the SOP editor: edit with preview, see the new version and the regenerated agent
view, diff, roll back; switching SOPs never edits the wrong one (D35)."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import LiveServer, Ui

pytestmark = pytest.mark.browser

NEW_ITEM = "Hold a project pre-mortem workshop."


def test_edit_sop_regenerates_agent_view_and_rolls_back(ui: Ui, live_server: LiveServer) -> None:
    ui.login()
    ui.goto("/admin/sops/SOP-002?mode=edit")
    page = ui.page
    editor = page.get_by_label("Markdown of SOP-002")
    original = editor.input_value()
    assert original.startswith("# PMO SOP – Initiation Phase")
    edited = original.replace("## Deliverables", f"- {NEW_ITEM}\n\n## Deliverables", 1)
    editor.fill(edited)
    page.get_by_role("button", name="Preview").click()
    page.locator("#sop-preview li", has_text=NEW_ITEM).wait_for()
    ui.shot("preview")
    page.get_by_role("button", name="Save Changes").click()
    page.wait_for_url(re.compile(r"/admin/sops/SOP-002\?saved=2$"))
    assert page.get_by_text("Saved version 2; the agent view was regenerated.").is_visible()
    assert page.locator("[data-version]").inner_text() == "2"
    ui.shot("saved")
    # the regenerated agent view lists the new activity
    ui.goto("/sop/SOP-002?view=agent")
    activities = page.locator("#agent-key-activities li")
    assert NEW_ITEM in activities.all_inner_texts()
    # history and diff
    ui.goto("/admin/sops/SOP-002?mode=history")
    rows = page.locator("tbody tr")
    assert rows.count() == 2
    page.get_by_role("link", name="Diff with current").click()
    assert page.locator(".diff .add", has_text=NEW_ITEM).count() == 1
    ui.shot("diff")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Roll back to v1").click()
    page.wait_for_url(re.compile(r"/admin/sops/SOP-002\?saved=3$"))
    assert page.locator("[data-version]").inner_text() == "3"
    ui.goto("/sop/SOP-002?view=agent")
    assert NEW_ITEM not in page.locator("#agent-key-activities li").all_inner_texts()
    ui.goto("/sop/SOP-002")
    assert NEW_ITEM not in page.locator("#sop-content").inner_text()


def test_d35_switching_sops_edits_the_selected_one(ui: Ui) -> None:
    ui.login()
    ui.goto("/admin/sops/SOP-002?mode=edit")
    page = ui.page
    page.get_by_role("navigation", name="SOP list").get_by_role(
        "link", name=re.compile("Design and Plan")
    ).click()
    page.get_by_role("link", name="Edit SOP").click()
    editor = page.get_by_label("Markdown of SOP-003")
    assert editor.input_value().startswith("# PMO SOP – Design and Plan")
    assert page.locator('form:has(textarea) input[name="sop_id"]').input_value() == "SOP-003"
    editor.fill(editor.input_value() + "\n- An extra design tool\n")
    page.get_by_role("button", name="Save Changes").click()
    page.wait_for_url(re.compile(r"/admin/sops/SOP-003\?saved=2$"))
    ui.goto("/sop/SOP-002")
    assert "An extra design tool" not in page.locator("#sop-content").inner_text()
    assert page.get_by_text("Version 1").is_visible()
