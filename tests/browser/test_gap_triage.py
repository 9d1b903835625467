"""Journey: a user reports a gap on an answer; an admin triages it (status, priority, notes,
suggestion) and opens the conversation with the reported answer highlighted (D23, D28)."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import LiveServer, Ui
from tests.browser.seed import USER_EMAIL, USER_PASSWORD, seed_session

pytestmark = pytest.mark.browser

COMMENT = "It does not say who signs off the charter."


def test_report_a_gap_and_triage_it(ui: Ui, live_server: LiveServer) -> None:
    ids = seed_session(
        live_server.db_url, USER_EMAIL, "session-gap", "Who signs the charter?", "Use the template."
    )
    ui.login(USER_EMAIL, USER_PASSWORD)
    ui.goto("/sop/SOP-002")
    page = ui.page
    answer = page.locator(".message.assistant").last
    answer.get_by_text("Report Gap").click()
    answer.get_by_label("What was missing?").fill(COMMENT)
    answer.get_by_role("button", name="Submit Report").click()
    page.get_by_text("Thank you for your feedback").wait_for()
    ui.shot("reported")
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()

    ui.login()
    ui.goto("/admin/user-feedback")
    assert page.get_by_role("link", name="Pending Review (1)").is_visible()
    page.get_by_role("link", name=re.compile("Who signs the charter")).click()
    detail = page.locator("[data-feedback-id]")
    assert COMMENT in detail.inner_text()
    assert (
        "Initiation Phase"
        in detail.get_by_role("heading", name="AI Improvement Suggestion")
        .locator("xpath=following-sibling::div[1]")
        .inner_text()
    )
    page.get_by_label("Status", exact=True).select_option(label="In Progress")
    page.get_by_label("Priority").select_option(label="High")
    page.get_by_label("Admin Notes").fill("Add a sign-off row to the RACI.")
    page.get_by_role("button", name="Save Changes").click()
    page.get_by_text("Feedback updated successfully").wait_for()
    ui.shot("triaged")
    assert page.get_by_label("Status", exact=True).input_value() == "ongoing"
    assert page.get_by_label("Priority").input_value() == "high"
    assert page.get_by_label("Admin Notes").input_value() == "Add a sign-off row to the RACI."
    assert page.get_by_role("link", name="In Progress (1)").is_visible()
    assert page.get_by_role("link", name="Pending Review (0)").is_visible()
    page.get_by_role("link", name="View Conversation").click()
    highlighted = page.locator(".message.highlighted")
    assert highlighted.count() == 1
    assert highlighted.get_attribute("id") == f"message-{ids[1]}"
    assert "Use the template." in highlighted.inner_text()
    ui.shot("conversation")
