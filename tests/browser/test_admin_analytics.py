"""Journey: analytics renders charts from real data (a rated answer, a gap report, sessions),
and an empty database renders "No data yet" parts instead of crashing (D33)."""

from __future__ import annotations

import psycopg
import pytest

from pmo_playbook.services.gap_reports import file_gap_report
from pmo_playbook.services.message_ratings import rate_message
from pmo_playbook.services.users import actor_for, get_user_by_email
from tests.browser.conftest import LiveServer, Ui
from tests.browser.seed import USER_EMAIL, seed_session

pytestmark = pytest.mark.browser


def _activity(live_server: LiveServer) -> None:
    ids = seed_session(live_server.db_url, USER_EMAIL, "s-analytics", "Who signs?", "The sponsor.")
    seed_session(
        live_server.db_url,
        USER_EMAIL,
        "s-analytics-2",
        "Risks?",
        "Use a RAID log.",
        "SOP-004",
        0.55,
    )
    with psycopg.connect(live_server.db_url) as conn:
        actor = actor_for(get_user_by_email(conn, USER_EMAIL))
        body = {
            "messageId": ids[1],
            "sessionId": "s-analytics",
            "rating": "helpful",
            "sopUsed": "SOP-002",
            "confidence": 0.82,
        }
        rate_message(conn, actor, body)
        file_gap_report(
            conn,
            actor,
            {
                "sessionId": "s-analytics",
                "messageId": ids[1],
                "userQuestion": "Who signs?",
                "aiResponse": "The sponsor.",
                "userComment": "Name the role",
                "sopId": "SOP-002",
            },
        )


def test_analytics_renders_with_data(ui: Ui, live_server: LiveServer) -> None:
    _activity(live_server)
    ui.login()
    ui.goto("/admin/analytics")
    page = ui.page
    assert page.locator('[data-card="Total Gap Reports"]').inner_text() == "1"
    assert page.locator('[data-card="Message Ratings"]').inner_text() == "1"
    assert page.locator('[data-card="Total Sessions"]').inner_text() == "2"
    assert page.locator('[data-card="Avg Messages/Session"]').inner_text() == "2.0"
    usage = page.locator('svg[data-chart="SOP Usage Frequency"]')
    assert usage.locator("rect.bar").count() == 2
    assert "SOP-002 Initiation Phase" in usage.inner_html()
    helpfulness = page.locator('svg[data-chart="Helpfulness by SOP"]')
    assert "100% of 1" in helpfulness.inner_html()
    confidence = page.locator('svg[data-chart="Confidence vs Accuracy"]')
    assert "80–90%" in confidence.inner_html()
    assert page.locator('svg[data-chart="Gap Reports by SOP"] rect.bar').count() == 1
    assert page.locator('svg[data-chart="Recent Activity"] rect.bar').count() >= 2
    ui.shot("analytics")


def test_d33_analytics_without_data_shows_empty_parts(ui: Ui) -> None:
    ui.login()
    ui.goto("/admin/analytics")
    page = ui.page
    assert page.locator('[data-card="Total Sessions"]').inner_text() == "0"
    assert page.locator('p.empty[data-chart="SOP Usage Frequency"]').inner_text() == "No data yet"
    assert page.locator('p.empty[data-chart="Recent Activity"]').is_visible()
