"""Smoke: the SOP page renders the real SOP markdown (tables included) and unknown SOPs 404."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import LiveServer, Ui

pytestmark = pytest.mark.browser


def test_sop_page_renders_markdown_with_table(ui: Ui, live_server: LiveServer) -> None:
    ui.goto("/")
    page = ui.page
    assert page.url.endswith("/sop/SOP-001")
    assert page.get_by_role("heading", level=1).inner_text() == "Pre-Initiation Phase"
    table = page.locator("#sop-content table")
    assert table.locator("th").all_inner_texts() == ["Role", "Responsibility"]
    assert "Business Sponsor" in table.inner_text()
    tabs = page.get_by_role("navigation", name="PMO SOPs").get_by_role("link")
    assert tabs.count() == 5
    assert re.search(r"Phase 1: ", tabs.first.inner_text())


def test_d37_unknown_sop_is_a_404_page(ui: Ui) -> None:
    ui.expect_status(404, "/sop/SOP-999")
    response = ui.goto("/sop/SOP-999")
    assert response.status == 404
    assert ui.page.get_by_role("heading", level=1).inner_text() == "SOP Not Found"
    assert ui.page.get_by_role("link", name="Go to Home").is_visible()
