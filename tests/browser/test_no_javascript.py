"""With JavaScript disabled: SOPs are readable (tabs are links, tables render), the project
dropdown opens (details/summary), the chat still works as plain forms."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Ui

pytestmark = pytest.mark.browser


def test_sop_pages_work_without_javascript(ui_no_js: Ui) -> None:
    ui = ui_no_js
    ui.goto("/")
    page = ui.page
    assert page.url.endswith("/sop/SOP-001")
    page.get_by_role("link", name=re.compile("Phase 3: Design and Plan")).click()
    page.wait_for_url(re.compile(r"/sop/SOP-003$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Design and Plan"
    assert page.locator("#sop-content table tbody tr").count() >= 3
    page.get_by_role("link", name="Agent view").click()
    page.wait_for_url(re.compile(r"/sop/SOP-003\?view=agent$"))
    assert page.locator("#agent-key-activities li").count() >= 3
    ui.shot("agent")
    page.get_by_text("Select Project").click()
    page.get_by_role("link", name=re.compile("Digital Transformation Initiative")).click()
    page.wait_for_url(re.compile(r"/pro/PRO-001$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Digital Transformation Initiative"
    # the chat works as a plain form: POST then redirect back to the page
    page.get_by_label("Your question").fill("How do I close a project?")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"/pro/PRO-001$"))
    assert page.locator(".message.assistant").count() == 1
    ui.shot("chat")
