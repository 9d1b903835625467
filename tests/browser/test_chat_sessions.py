"""Journeys on stored conversations: rate an answer (survives reload), rename and delete a
session, export with the real session name. Sessions are seeded through the sessions service
for a logged-in user, so they are that user's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import LiveServer, Ui
from tests.browser.seed import USER_EMAIL, USER_PASSWORD, seed_session

pytestmark = pytest.mark.browser

ANSWER = "Start with the **Project Charter**:\n\n1. Assign a project manager\n2. Map stakeholders"


def _seed_two(live_server: LiveServer) -> None:
    seed_session(
        live_server.db_url,
        USER_EMAIL,
        "session-older",
        "What is a RACI?",
        "A RACI matrix.",
        "SOP-003",
    )
    seed_session(
        live_server.db_url, USER_EMAIL, "session-newer", "How do I start a project?", ANSWER
    )


def test_rating_an_answer_survives_reload(ui: Ui, live_server: LiveServer) -> None:
    _seed_two(live_server)
    ui.login(USER_EMAIL, USER_PASSWORD)
    ui.goto("/sop/SOP-001")
    page = ui.page
    answer = page.locator(".message.assistant").last
    # markdown rendered (D40) with the attribution from the real SOP list (D29)
    assert answer.locator(".markdown strong").inner_text() == "Project Charter"
    assert answer.locator(".markdown ol li").count() == 2
    assert "Source: SOP-002: Phase 2" in answer.inner_text()
    assert "Initiation Phase" in answer.inner_text()
    assert "82% confident" in answer.inner_text()
    helpful = answer.get_by_role("button", name="Helpful", exact=True)
    helpful.click()
    page.wait_for_selector('.message.assistant button[aria-label="Helpful"][aria-pressed="true"]')
    ui.shot("rated")
    page.reload()
    helpful = page.locator(".message.assistant").last.get_by_role(
        "button", name="Helpful", exact=True
    )
    assert helpful.get_attribute("aria-pressed") == "true"
    # clicking the active thumb again removes the rating, also across a reload
    helpful.click()
    page.wait_for_selector('.message.assistant button[aria-label="Helpful"][aria-pressed="false"]')
    page.reload()
    helpful = page.locator(".message.assistant").last.get_by_role(
        "button", name="Helpful", exact=True
    )
    assert helpful.get_attribute("aria-pressed") == "false"


def test_rename_and_delete_sessions(ui: Ui, live_server: LiveServer) -> None:
    _seed_two(live_server)
    ui.login(USER_EMAIL, USER_PASSWORD)
    ui.goto("/sop/SOP-001")
    page = ui.page
    page.get_by_text("Recent Chats").click()
    items = page.locator(".sessions-list li")
    assert items.count() == 2
    assert items.first.get_attribute("data-session-id") == "session-newer"  # most recent first
    older = page.locator('li[data-session-id="session-older"]')
    older.get_by_label("Rename").click()
    older.get_by_label("New name").fill("RACI questions")
    older.get_by_role("button", name="Save").click()
    page.wait_for_selector(
        'li[data-session-id="session-older"] .session-title:text("RACI questions")',
        state="attached",
    )
    ui.shot("renamed")
    page.reload()
    page.get_by_text("Recent Chats").click()
    assert (
        page.locator('li[data-session-id="session-older"] .session-title').inner_text()
        == "RACI questions"
    )
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('li[data-session-id="session-newer"]').get_by_role("button", name="Delete").click()
    page.wait_for_selector('li[data-session-id="session-newer"]', state="detached")
    ui.shot("deleted")
    # the deleted session was the current one: a new, empty chat is shown
    assert page.get_by_text("Ready to Help!").is_visible()
    page.reload()
    page.get_by_text("Recent Chats").click()
    assert page.locator(".sessions-list li").count() == 1


def test_switch_and_export_uses_session_name(ui: Ui, live_server: LiveServer) -> None:
    _seed_two(live_server)
    ui.login(USER_EMAIL, USER_PASSWORD)
    ui.goto("/sop/SOP-001")
    page = ui.page
    page.get_by_text("Recent Chats").click()
    page.locator('li[data-session-id="session-older"] a').click()
    page.wait_for_selector('#chat[data-session-id="session-older"]')
    assert "A RACI matrix." in page.locator(".message.assistant").last.inner_text()
    with page.expect_download() as info:
        page.get_by_role("link", name="Export").click()
    download = info.value
    assert download.suggested_filename.startswith("What_is_a_RACI")
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith("# What is a RACI?")
    assert "**Session ID:** session-older" in text
    assert "> **Source:** SOP-003 - Design and Plan (Phase 3)" in text
