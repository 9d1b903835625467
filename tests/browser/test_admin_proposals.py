"""Journey: review legacy proposals — counts come from the service and follow each action
(D36), the SOP title stays shown after acting, rejecting needs a reason, approve → implement
writes a new SOP version."""

from __future__ import annotations

import psycopg
import pytest

from pmo_playbook.services.actor import SYSTEM
from pmo_playbook.services.proposals import create_proposal
from tests.browser.conftest import LiveServer, Ui

pytestmark = pytest.mark.browser


def _propose(db_url: str, section: str, original: str, suggested: str) -> str:
    body = {
        "sopId": "SOP-002",
        "triggerQuery": f"What about {section}?",
        "proposedChange": {
            "section": section,
            "originalContent": original,
            "suggestedContent": suggested,
            "rationale": "Users keep asking.",
            "changeType": "modification",
        },
        "metrics": {"confidenceScore": 0.8},
    }
    with psycopg.connect(db_url) as conn:
        proposal, _, _ = create_proposal(conn, SYSTEM, body)
    return str(proposal["proposalId"])


def test_d36_review_proposals_with_correct_counts(ui: Ui, live_server: LiveServer) -> None:
    first = _propose(
        live_server.db_url, "Deliverables", "- Governance Plan", "- Governance Plan (signed)"
    )
    second = _propose(
        live_server.db_url, "Key Activities", "- Assign Project Manager", "- Assign PM"
    )
    ui.login()
    ui.goto("/admin/proposals")
    page = ui.page
    filters = page.get_by_role("navigation", name="Filter proposals")
    assert filters.get_by_role("link", name="Pending Review (2)").is_visible()
    assert filters.get_by_role("link", name="Approved (0)").is_visible()
    assert filters.get_by_role("link", name="All (2)").is_visible()
    page.locator(f'a[href*="{second}"]').click()
    review = page.locator(f'[data-proposal-id="{second}"]')
    # rejecting without a reason stays on the review, the error beside the comment field
    ui.expect_status(422, "/admin/proposals/act")
    review.get_by_role("button", name="Reject").click()
    error = review.locator("#review-comments-error")
    assert error.is_visible() and "reason" in error.inner_text()
    assert review.get_by_label("Comment (required to reject)").get_attribute("aria-invalid")
    review.get_by_label("Comment (required to reject)").fill("Too terse")
    review.get_by_role("button", name="Reject").click()
    page.get_by_text("Proposal rejected successfully").wait_for()
    assert review.get_by_role("heading", level=2).inner_text() == "Initiation Phase"
    assert review.locator("[data-status]").get_attribute("data-status") == "rejected"
    assert filters.get_by_role("link", name="Pending Review (1)").is_visible()
    assert filters.get_by_role("link", name="Rejected (1)").is_visible()
    assert page.locator(f'.item-list a[href*="{second}"]').count() == 0  # left the pending list
    ui.shot("rejected")
    page.locator(f'a[href*="{first}"]').click()
    review = page.locator(f'[data-proposal-id="{first}"]')
    review.get_by_role("button", name="Approve").click()
    page.get_by_text("Proposal approved successfully").wait_for()
    assert filters.get_by_role("link", name="Approved (1)").is_visible()
    review.get_by_role("button", name="Implement").click()
    page.get_by_text("Proposal implemented successfully").wait_for()
    assert filters.get_by_role("link", name="Implemented (1)").is_visible()
    ui.goto("/sop/SOP-002")
    assert "Governance Plan (signed)" in page.locator("#sop-content").inner_text()
    assert page.get_by_text("Version 2").is_visible()
