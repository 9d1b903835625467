"""Journeys on the admin pages that replace the terminal: users (create with a password shown
once, role, deactivate, reset password, API token issued once and revoked) and SOPs (create
from markdown with live validation, retire, restore), each recorded in the audit log with who
did it and when."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import LiveServer, Ui
from tests.browser.seed import ADMIN_EMAIL

pytestmark = pytest.mark.browser

NEW_EMAIL = "pat@example.com"


def _audit_rows(ui: Ui) -> list[list[str]]:
    ui.goto("/admin/audit")
    rows = ui.page.get_by_role("table", name="Audit log").locator("tbody tr")
    return [row.locator("td").all_inner_texts() for row in rows.all()]


def test_admin_users_page_manages_accounts_and_audits_them(ui: Ui) -> None:
    ui.login()
    ui.goto("/admin/users")
    page = ui.page
    # a refused create keeps the form, the error next to the field
    page.get_by_label("Email", exact=True).fill("not-an-email")
    page.get_by_label("Name", exact=True).fill("Pat Planner")
    ui.expect_status(422, "/admin/users/create")
    page.get_by_role("button", name="Create user").click()
    error = page.locator("#new-email-error")
    assert error.is_visible()
    assert page.get_by_label("Email", exact=True).get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Name", exact=True).input_value() == "Pat Planner"
    page.get_by_label("Email", exact=True).fill(NEW_EMAIL)
    page.get_by_role("button", name="Create user").click()
    secret = page.locator("[data-secret] .secret-value")
    password = secret.inner_text()
    assert len(password) >= 12
    ui.shot("created")
    card = page.locator(f'[data-user="{NEW_EMAIL}"]')
    card.get_by_label("Role").select_option("viewer")
    card.get_by_role("button", name="Change role").click()
    page.get_by_text("Role changed.").wait_for()
    card.get_by_label("Token name").fill("reporting script")
    card.get_by_role("button", name="Issue token").click()
    token = page.locator("[data-secret] .secret-value").inner_text()
    assert token and token != password
    ui.goto("/admin/users")  # shown once: opening the page again does not show it
    assert page.locator("[data-secret]").count() == 0
    assert token not in page.content()
    card.get_by_role("button", name=f"Revoke token reporting script of {NEW_EMAIL}").click()
    page.get_by_text("API token revoked.").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name=f"Reset password of {NEW_EMAIL}").click()
    new_password = page.locator("[data-secret] .secret-value").inner_text()
    assert new_password != password
    card.get_by_role("button", name=f"Deactivate {NEW_EMAIL}").click()
    page.get_by_text("User deactivated.").wait_for()
    assert card.get_by_text("Deactivated", exact=True).is_visible()
    rows = _audit_rows(ui)
    actions = [row[2] for row in rows]
    for action in (
        "user.create",
        "user.role",
        "token.issue",
        "token.revoke",
        "user.reset_password",
        "user.deactivate",
    ):
        assert any(a.startswith(action) for a in actions), actions
    mine = [row for row in rows if row[3] == NEW_EMAIL]
    assert mine and all(row[1] == ADMIN_EMAIL for row in mine), rows
    assert all(re.search(r"\d{4}|ago|UTC|:\d\d", row[0]) for row in rows), rows
    # the deactivated user cannot log in
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    page.goto(ui.url("/login"))
    page.get_by_label("Email").fill(NEW_EMAIL)
    page.get_by_label("Password").fill(new_password)
    ui.expect_status(401, "/login")
    ui.expect_status(403, "/login")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    assert "/login" in page.url


def test_admin_sop_create_retire_restore_audited(
    ui: Ui, live_server: LiveServer, fixtures_dir: Path
) -> None:
    markdown = (fixtures_dir / "sop-markdown" / "02 Initiate-Phase.md").read_text("utf-8")
    markdown = markdown.replace("Initiation Phase", "Vendor Onboarding (Phase 2)", 1)
    ui.login()
    ui.goto("/admin/sops/new")
    page = ui.page
    editor = page.get_by_label("Markdown")
    editor.fill("just some words")
    page.locator("#sop-validation").get_by_text(re.compile("phase", re.I)).first.wait_for()
    editor.fill(markdown)
    page.locator("#sop-validation", has_text="Vendor Onboarding").wait_for()
    ui.shot("validated")
    page.get_by_role("button", name="Create SOP").click()
    page.wait_for_url(re.compile(r"/admin/sops/SOP-\d{3}\?created=1$"))
    sop_id = page.url.split("/admin/sops/")[1].split("?")[0]
    assert "Vendor Onboarding" in page.get_by_role("heading", level=2).first.inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Retire SOP").click()
    page.wait_for_url(re.compile(rf"/admin/sops/{sop_id}\?retired=1$"))
    ui.goto("/sop/SOP-001")
    tabs = page.get_by_role("navigation", name="PMO SOPs").get_by_role("link")
    assert "Vendor Onboarding" not in " ".join(tabs.all_inner_texts())
    ui.goto(f"/admin/sops/{sop_id}")
    page.get_by_role("button", name="Restore SOP").click()
    page.wait_for_url(re.compile(rf"/admin/sops/{sop_id}\?restored=1$"))
    ui.goto("/sop/SOP-001")
    assert "Vendor Onboarding" in " ".join(tabs.all_inner_texts())
    rows = [row for row in _audit_rows(ui) if row[3] == sop_id]
    assert {row[2] for row in rows} >= {"sop.create", "sop.retire", "sop.restore"}, rows
    assert all(row[1] for row in rows)
