"""Server-side markdown (D40) and the page helpers that format dates (D38): no I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pmo_playbook.documents.chat import ChatSession
from pmo_playbook.web.markdown import heading_slugs, render_markdown, slugify
from pmo_playbook.web.pages.chat_export import export_filename, export_markdown
from pmo_playbook.web.pages.rendering import format_day, iso_day, percent, relative_time
from pmo_playbook.web.pages.shell import SopTab


def test_d40_markdown_renders_gfm_tables_and_emphasis() -> None:
    html = str(render_markdown("**bold**\n\n| Role | Duty |\n|---|---|\n| PM | Lead |\n"))
    assert "<strong>bold</strong>" in html
    assert "<th>Role</th>" in html and "<td>Lead</td>" in html


def test_markdown_never_passes_raw_html_or_script_links() -> None:
    html = str(
        render_markdown(
            '<script>alert(1)</script> <img src=x onerror="x()">\n\n[x](javascript:alert(1))'
        )
    )
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def test_markdown_headings_get_unique_anchors_and_can_be_demoted() -> None:
    html = str(
        render_markdown("# Title\n## Tools & Templates\n## Tools & Templates", heading_offset=1)
    )
    assert '<h2 id="title">Title</h2>' in html
    assert '<h3 id="tools-templates">' in html and '<h3 id="tools-templates-1">' in html
    assert 'id="' not in str(render_markdown("## Key Activities", heading_ids=False))
    assert heading_slugs("## Objective\n## Key Activities") == [
        ("Objective", "objective"),
        ("Key Activities", "key-activities"),
    ]
    assert slugify("Roles and Responsibilities") == "roles-and-responsibilities"
    assert slugify("***") == "section"


def test_d38_milestone_dates_do_not_shift_a_day() -> None:
    # a milestone stored as UTC midnight stays on its calendar day (D38)
    assert format_day("2026-03-01T00:00:00.000Z") == "1 Mar 2026"
    assert iso_day("2026-03-01T00:00:00.000Z") == "2026-03-01"
    assert format_day("2026-03-01") == "1 Mar 2026"
    assert format_day("not a date") == "" and format_day(None) == ""


def test_relative_time_and_percent() -> None:
    now = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    assert relative_time("2026-01-10T11:59:30.000Z", now) == "just now"
    assert relative_time("2026-01-10T11:15:00.000Z", now) == "45m ago"
    assert relative_time("2026-01-10T09:00:00.000Z", now) == "3h ago"
    assert relative_time("2026-01-08T12:00:00.000Z", now) == "2d ago"
    assert relative_time("2025-12-01T12:00:00.000Z", now) == "1 Dec 2025"
    assert percent(0.826) == "83%" and percent(0) == "0%" and percent(None) == ""
    assert percent(float("nan")) == ""


def _session(session_id: str, data: dict[str, Any]) -> ChatSession:
    stamp = datetime(2026, 1, 10, 12, tzinfo=UTC)
    return ChatSession(
        legacy_id=None,
        session_id=session_id,
        user_id=None,
        status="active",
        started_at=stamp,
        last_active=stamp,
        created_at=stamp,
        updated_at=stamp,
        data=data,
    )


def test_d38_export_uses_the_real_session_name() -> None:
    data = {
        "sessionName": "Charter help",
        "messages": [
            {
                "messageId": "msg-0",
                "role": "user",
                "content": "Hi",
                "timestamp": "2026-01-10T12:00:00.000Z",
            },
            {
                "messageId": "msg-1",
                "role": "assistant",
                "content": "Hello",
                "selectedSopId": "SOP-002",
                "confidence": 0.9,
                "timestamp": "2026-01-10T12:00:01.000Z",
            },
        ],
    }
    history = _session("session-1", data)
    now = datetime(2026, 1, 11, tzinfo=UTC)
    sops = {"SOP-002": SopTab(sop_id="SOP-002", title="Initiation Phase", phase=2)}
    text = export_markdown(history, sops, {"msg-1": "up"}, now)
    assert text.startswith("# Charter help\n")
    assert "**Messages:** 2" in text
    assert "### User (2026-01-10 12:00 UTC)" in text
    assert "> **Source:** SOP-002 - Initiation Phase (Phase 2)" in text
    assert "> **Confidence:** 90%" in text and "> **Feedback:** Helpful" in text
    assert export_filename(history, now) == "Charter_help_2026-01-11.md"
    unnamed = _session("session-2", {"messages": []})
    assert export_markdown(unnamed, {}, {}, now).startswith("# Chat Session session-2\n")
