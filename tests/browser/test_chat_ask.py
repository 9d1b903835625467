"""Journey: an anonymous visitor asks a question, reads the attributed markdown answer with
citations, rates it, reloads (the rating and the conversation survive), follows a citation."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import LiveServer, Ui

pytestmark = pytest.mark.browser


def test_ask_a_question_and_rate_the_answer(ui: Ui, live_server: LiveServer) -> None:
    ui.goto("/sop/SOP-001")
    page = ui.page
    page.get_by_label("Your question").fill("Who approves the project charter?")
    page.get_by_role("button", name="Send").click()
    answer = page.locator(".message.assistant").last
    answer.wait_for()
    ui.shot("answered")
    assert page.locator(".message.user .text").last.inner_text() == (
        "Who approves the project charter?"
    )
    text = answer.inner_text()
    assert re.search(r"Source: SOP-00\d: Phase \d", text)
    assert re.search(r"\d+% confident", text)
    citations = answer.locator(".citations a")
    assert citations.count() >= 1
    href = citations.first.get_attribute("href") or ""
    assert re.fullmatch(r"/sop/SOP-00\d#[a-z0-9-]+", href), href
    answer.get_by_role("button", name="Not helpful").click()
    page.wait_for_selector(
        '.message.assistant button[aria-label="Not helpful"][aria-pressed="true"]'
    )
    page.reload()
    answer = page.locator(".message.assistant").last
    assert answer.get_by_role("button", name="Not helpful").get_attribute("aria-pressed") == "true"
    assert (
        answer.get_by_role("button", name="Helpful", exact=True).get_attribute("aria-pressed")
        == "false"
    )
    # the citation leads to the cited section of the SOP page
    answer.locator(".citations a").first.click()
    page.wait_for_load_state("load")
    anchor = href.split("#", 1)[1]
    assert page.url.endswith(href)
    assert page.locator(f"#sop-content #{anchor}").count() == 1
    ui.shot("citation")
