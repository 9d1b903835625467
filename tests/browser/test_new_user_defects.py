"""The "Defects seen" of a new user's tour (header, SOP form, projects, conversation viewer,
analytics, rating icons), one test per defect or per page, each in a real Chromium. Every
docstring names the defect it covers; the layout audit (test_every_page_layout) adds the
contrast and no-sideways-scroll checks of every page at 390 px and 1366 px."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.browser.conftest import LiveServer, Ui
from tests.browser.seed import USER_EMAIL, seed_session

pytestmark = pytest.mark.browser

EMOJI = re.compile("[\U0001f44d\U0001f44e\U0001f300-\U0001faff]")


def _boxes(ui: Ui, selector: str) -> list[dict[str, float]]:
    boxes: list[dict[str, float]] = ui.page.locator(selector).evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return {top: r.top, left: r.left, right: r.right, height: r.height,"
        " sw: e.scrollWidth, cw: e.clientWidth}; })"
    )
    return boxes


def test_header_tabs_one_line_phase_5_whole_and_small_on_a_phone(ui: Ui) -> None:
    """Header: logged in at 1366 px the SOP tabs wrapped to three lines; "Phase 5: Close and
    Realize Bene…" was cut at every width; at 390 px the header took about 260 px."""
    ui.login()
    page = ui.page
    page.set_viewport_size({"width": 1366, "height": 900})
    ui.goto("/sop/SOP-001")
    tabs = _boxes(ui, "nav.sop-tabs a")
    assert len(tabs) == 5
    assert max(t["top"] for t in tabs) - min(t["top"] for t in tabs) < 2, tabs  # one line
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        ui.goto("/sop/SOP-001")
        label = page.locator("nav.sop-tabs a", has_text="Phase 5")
        text = label.inner_text()
        assert "Close" in text and "…" not in text, text
        assert label.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), f"cut at {width}px"
    header = page.locator("header.topbar").bounding_box()
    assert header is not None and header["height"] <= 160, header  # was ≈ 260 px at 390 px


def test_sop_form_save_stores_no_crlf_and_the_diff_shows_only_the_change(
    ui: Ui, live_server: LiveServer
) -> None:
    """SOP history "Diff with current" after a web-form edit marked every line removed and
    re-added: the browser submits a textarea with CRLF and the form stored it (34 `\\r`)."""
    ui.login()
    ui.goto("/admin/sops/SOP-002?mode=edit")
    page = ui.page
    editor = page.get_by_label("Markdown of SOP-002")
    editor.fill(editor.input_value().rstrip("\n") + "\n\n## Crlf check\nOne added line.\n")
    page.get_by_role("button", name="Save Changes").click()
    page.wait_for_url(re.compile(r"saved=2$"))
    with psycopg.connect(live_server.db_url) as conn:
        row = conn.execute(
            "SELECT data->>'markdownContent' FROM human_sops WHERE sop_id = 'SOP-002'"
        )
        stored = row.fetchone()
    assert stored is not None and "\r" not in stored[0]
    ui.goto("/admin/sops/SOP-002?mode=history")
    page.get_by_role("link", name="Diff with current").click()
    removed = page.locator(".diff .del").all_inner_texts()
    assert removed == [], f"unchanged lines shown as removed: {removed}"
    added = [t.strip() for t in page.locator(".diff .add").all_inner_texts()]
    assert [t for t in added if t.lstrip("+ ").strip()] != [] and len(added) <= 4, added


def test_admin_projects_actions_aligned_delete_banner_form_errors_and_hints(ui: Ui) -> None:
    """Admin projects: the Actions cells did not line up; after a delete the banner said
    "Project PRO-005 saved."; a refused save must stay on the form with the error next to the
    field; the "one item per line" hint sat under the wrong fields."""
    ui.login()
    page = ui.page
    page.set_viewport_size({"width": 1366, "height": 900})
    ui.goto("/admin/projects")
    # the first control of every row's Actions starts at the same x
    cells = _boxes(ui, "tbody .row-actions > :first-child")
    assert len(cells) >= 2
    assert max(c["left"] for c in cells) - min(c["left"] for c in cells) < 2, cells
    # the list hints: each textarea is described by the hint right below it
    ui.goto("/admin/projects/new")
    hints = page.locator("textarea[aria-describedby]")
    assert hints.count() >= 2
    for i in range(hints.count()):
        area = hints.nth(i)
        hint = page.locator("#" + str(area.get_attribute("aria-describedby")))
        assert hint.inner_text() == "One item per line."
        below = area.evaluate(
            "(a) => { const h = document.getElementById(a.getAttribute('aria-describedby'));"
            " const r = a.getBoundingClientRect(), q = h.getBoundingClientRect();"
            " return q.top >= r.bottom - 1 && q.top - r.bottom < 40 && q.left >= r.left - 1; }"
        )
        assert below, f"hint not under {area.get_attribute('id')}"
    # a refused save keeps the form and names the field
    page.get_by_label("Project Name (required)").fill("Layout Check")
    page.locator("form:has(#pf-name)").evaluate("f => { f.noValidate = true; }")  # server side
    ui.expect_status(422, "/admin/projects/save")
    page.get_by_role("button", name="Create Project").click()
    page.wait_for_load_state("load")
    invalid = page.locator("[aria-invalid=true]")
    assert invalid.count() >= 1, "no field marked invalid"
    assert page.get_by_label("Project Name (required)").input_value() == "Layout Check"
    first = invalid.first
    error_id = str(first.get_attribute("aria-describedby") or "").split()
    assert any(page.locator(f"#{e}").inner_text().strip() for e in error_id), error_id
    # delete (deactivate) says so
    ui.goto("/admin/projects")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("tbody tr").first.get_by_role("button", name=re.compile("Delete")).click()
    page.wait_for_url(re.compile(r"deleted="))
    banner = page.get_by_role("status").first.inner_text()
    assert "deleted" in banner and "saved" not in banner, banner


def test_conversation_viewer_and_chat_panel_name_the_session_alike(
    ui: Ui, live_server: LiveServer
) -> None:
    """Conversation viewer: the same session was "Unnamed Session" there and "What should a
    risk register" in the chat panel; the chat panel's bold session title looked like a cut-off
    message (it is now a plain, labelled line)."""
    seed_session(
        live_server.db_url,
        USER_EMAIL,
        "session-named",
        "What should a risk register hold?",
        "Risks.",
    )
    from tests.browser.seed import USER_PASSWORD

    ui.login(USER_EMAIL, USER_PASSWORD)
    page = ui.page
    ui.goto("/chat?session=session-named")
    panel_name = page.locator("#recent-chats li.current .session-title").first
    page.locator("#recent-chats > summary").click()
    in_panel = panel_name.inner_text().strip()
    assert in_panel.startswith("What should a risk register"), in_panel
    weight = int(panel_name.evaluate("e => getComputedStyle(e).fontWeight"))
    assert weight < 700 or panel_name.evaluate("e => e.closest('a') !== null")
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    ui.login()
    ui.goto("/admin/conversations/session-named")
    title = page.locator("#thread-title").inner_text().strip()
    assert title == in_panel, (title, in_panel)
    assert "Unnamed" not in page.locator("main").inner_text()


def test_analytics_activity_chart_is_wide_and_its_legend_whole(
    ui: Ui, live_server: LiveServer
) -> None:
    """Analytics: the Recent Activity chart was 112 px wide and its legend was clipped."""
    seed_session(live_server.db_url, USER_EMAIL, "s-activity", "Who signs?", "The sponsor.")
    ui.login()
    page = ui.page
    page.set_viewport_size({"width": 1366, "height": 900})
    ui.goto("/admin/analytics")
    chart = page.locator('svg[data-chart="Recent Activity"]').first
    box = chart.bounding_box()
    assert box is not None and box["width"] >= 400, box
    section = page.locator("section[aria-labelledby=a-act]").bounding_box()
    assert section is not None
    for text in page.locator('svg[data-chart="Recent Activity"] text').all():
        t = text.bounding_box()
        if t is None:
            continue
        assert t["x"] >= box["x"] - 1 and t["x"] + t["width"] <= box["x"] + box["width"] + 1, (
            text.inner_text()
        )


def test_rating_buttons_are_svg_icons_and_the_export_has_no_emoji(
    ui: Ui, live_server: LiveServer
) -> None:
    """👍/👎 were emoji that render as empty boxes without an emoji font: the rating buttons
    are inline SVG icons, and the chat export names the rating in words."""
    from tests.browser.seed import USER_PASSWORD

    seed_session(live_server.db_url, USER_EMAIL, "session-rate", "Who signs?", "The sponsor.")
    ui.login(USER_EMAIL, USER_PASSWORD)
    page = ui.page
    ui.goto("/chat?session=session-rate")
    helpful = page.get_by_role("button", name="Helpful", exact=True).first
    assert helpful.locator("svg").count() == 1
    assert not EMOJI.search(page.locator("body").inner_text())
    helpful.click()
    page.locator("button[aria-label=Helpful][aria-pressed=true]").first.wait_for()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Export")).first.click()
    text = Path(download.value.path()).read_text("utf-8")
    assert "Helpful" in text and not EMOJI.search(text), text


def test_proposal_chips_read_as_words_and_counts_agree(ui: Ui, live_server: LiveServer) -> None:
    """Raw `pending_review` chips and "1 users" / "1 reports" counts on the admin pages."""
    from pmo_playbook.services.actor import SYSTEM
    from pmo_playbook.services.proposals import create_proposal

    with psycopg.connect(live_server.db_url) as conn:
        change = {"section": "Objectives", "originalContent": "", "suggestedContent": "- More"}
        create_proposal(
            conn, SYSTEM, {"sopId": "SOP-002", "triggerQuery": "Why?", "proposedChange": change}
        )
    ui.login()
    ui.goto("/admin/proposals?status=all")
    body: Any = ui.page.locator("main").inner_text()
    assert "pending_review" not in body and "_" not in re.sub(r"\S+@\S+", "", body), body
    assert "1 user " in body + " " or "1 user\n" in body or "1 user affected" in body, body
    assert not re.search(r"\b1 (users|reports|messages|items)\b", body), body
    ui.goto("/admin/users")
    assert not re.search(r"\b1 users\b", ui.page.locator("main").inner_text())
