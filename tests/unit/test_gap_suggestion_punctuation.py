"""The AI suggestion of a gap report ends each sentence with one full stop: a comment (or a
section item) that ends in "." gave "…response).." in the suggestion a new user read."""

from __future__ import annotations

import re

from pmo_playbook.services.gap_reports import compose_suggestion

REPORT = {
    "userQuestion": "Who signs the charter?",
    "userComment": "It should name the sponsor (not just the response).",
    "sopId": "SOP-002",
    "sopTitle": "Initiation Phase",
    "confidence": 0.4,
}
SECTIONS = {"keyActivities": ["Sponsor signs the charter.", "Assign the PM!"]}


def _doubled(text: str) -> list[str]:
    return re.findall(r"[.!?;:]\s*\.", text)


def test_suggestion_without_sections_has_no_doubled_full_stop() -> None:
    content = compose_suggestion(REPORT, None)["content"]
    assert content.endswith("response).") and _doubled(content) == [], content


def test_suggestion_with_a_section_has_no_doubled_full_stop() -> None:
    suggestion = compose_suggestion(REPORT, {"sections": SECTIONS})
    assert "sign" in suggestion["content"].lower()
    assert _doubled(suggestion["content"]) == [], suggestion["content"]
    assert _doubled(suggestion["rationale"]) == [], suggestion["rationale"]
