"""Journey through the whole improvement loop, in the pages only: a user asks in the chat and
reports a gap; an admin turns the report into a change proposal (prefilled with the
conversation, the SOP section and the suggested change), approves and implements it (a new SOP
version whose diff shows only the change); the reporter reads the outcome on /my/reports."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import LiveServer, Ui
from tests.browser.seed import USER_EMAIL, USER_PASSWORD

pytestmark = pytest.mark.browser

QUESTION = "Who signs off the project charter?"
COMMENT = "It does not say who signs off the charter."
ADDED_LINE = "- The sponsor signs the charter before kickoff."


def _ask_and_report(ui: Ui) -> str:
    """As the signed-in user: ask on the Initiation SOP, report a gap on the answer."""
    page = ui.page
    ui.goto("/sop/SOP-002")
    page.get_by_label("Your question").fill(QUESTION)
    page.get_by_role("button", name="Send").click()
    answer = page.locator(".message.assistant").last
    answer.wait_for()
    answered_by = re.search(r"Source: (SOP-00\d)", answer.inner_text())
    assert answered_by, answer.inner_text()
    answer.get_by_text("Report Gap").click()
    answer.get_by_label("What was missing?").fill(COMMENT)
    answer.get_by_role("button", name="Submit Report").click()
    page.get_by_text("Thank you for your feedback").wait_for()
    ui.goto("/my/reports")
    report = page.locator("[data-feedback-id]")
    assert report.count() == 1
    assert QUESTION in report.inner_text()
    assert report.locator("[data-outcome]").get_attribute("data-outcome") == "none"
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    return answered_by.group(1)


def _propose(ui: Ui, sop_id: str) -> tuple[str, str]:
    """As the admin: open the report, file the prefilled proposal with one added line."""
    page = ui.page
    ui.goto("/admin/user-feedback")
    page.get_by_role("link", name=re.compile(re.escape(QUESTION))).click()
    page.get_by_role("link", name="Create change proposal").click()
    page.wait_for_url(re.compile(r"/admin/user-feedback/[^/]+/propose$"))
    ui.shot("proposal-form")
    conversation = page.get_by_role("region", name="Conversation")
    assert QUESTION in conversation.locator(".message.user").first.inner_text()
    assert conversation.locator(".message.assistant").count() == 1
    section = page.get_by_label("Section", exact=True).input_value()
    original = page.get_by_label("Current content (replaced by the proposed content)")
    suggested = page.get_by_label("Proposed content", exact=True)
    assert section and section in page.get_by_label("SOP section").input_value()
    assert original.input_value().strip(), "the section's current text is prefilled"
    assert suggested.input_value().startswith(original.input_value().rstrip())
    assert COMMENT in page.get_by_label("Rationale").input_value()
    suggested.fill(original.input_value().rstrip() + "\n" + ADDED_LINE + "\n")
    page.get_by_role("button", name="Submit proposal for review").click()
    page.wait_for_url(re.compile(r"/admin/proposals\?status=pending_review&selected="))
    review = page.locator("[data-proposal-id]")
    proposal_id = review.get_attribute("data-proposal-id") or ""
    assert review.locator("[data-status]").get_attribute("data-status") == "pending_review"
    assert sop_id in review.inner_text()
    return proposal_id, section


def test_gap_report_to_implemented_sop_change_seen_by_reporter(
    ui: Ui, live_server: LiveServer
) -> None:
    page = ui.page
    ui.login(USER_EMAIL, USER_PASSWORD)
    sop_id = _ask_and_report(ui)

    ui.login()
    proposal_id, section = _propose(ui, sop_id)
    review = page.locator(f'[data-proposal-id="{proposal_id}"]')
    assert "Conversation (2 messages)" in review.inner_text()
    review.get_by_role("button", name="Approve").click()
    page.get_by_text("Proposal approved successfully").wait_for()
    review.get_by_role("button", name="Implement").click()
    page.get_by_text("Proposal implemented successfully").wait_for()
    implemented = review.locator("[data-implemented]")
    assert f"{sop_id} version 2" in implemented.inner_text()
    implemented.get_by_role("link", name="View the diff").click()
    diff = page.get_by_label("Unified diff")
    added = [t.strip() for t in diff.locator(".add").all_inner_texts()]
    removed = [t.strip() for t in diff.locator(".del").all_inner_texts()]
    ui.shot("diff")
    # a clean diff: the one line added (plus the "+++" header), nothing removed but the header
    assert [t for t in added if not t.startswith("+++")] == ["+" + ADDED_LINE], added
    assert [t for t in removed if not t.startswith("---")] == [], removed
    assert "\r" not in diff.inner_text()
    ui.goto(f"/sop/{sop_id}")
    assert ADDED_LINE[2:] in page.locator("#sop-content").inner_text()
    assert page.get_by_text("Version 2").is_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()

    ui.login(USER_EMAIL, USER_PASSWORD)
    ui.goto("/my/reports")
    outcome = page.locator("[data-feedback-id] [data-outcome]")
    assert outcome.get_attribute("data-outcome") == "implemented"
    assert f"{sop_id} was updated to version 2" in outcome.inner_text()
    outcome.get_by_role("link", name="Read the updated SOP").click()
    page.wait_for_url(re.compile(rf"/sop/{sop_id}$"))
    assert section  # the proposal named a section of the SOP
