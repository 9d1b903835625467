"""apply_section_change keeps the SOP's layout: a proposed text typed in a textarea (which ends
with a newline) replaces the original without adding a blank line to the SOP."""

from __future__ import annotations

from pmo_playbook.services.proposal_rules import apply_section_change

SOP = "# T\n\n## Deliverables\n- Charter\n- Plan\n\n## Next\n- More\n"


def test_apply_section_change_trailing_newline_adds_no_blank_line() -> None:
    result = apply_section_change(
        SOP, "Deliverables", "- Charter\n- Plan", "- Charter\n- Plan\n- Map\n", "CP-1"
    )
    assert result == "# T\n\n## Deliverables\n- Charter\n- Plan\n- Map\n\n## Next\n- More\n"


def test_apply_section_change_keeps_the_original_line_ending() -> None:
    result = apply_section_change(SOP, "Deliverables", "- Plan\n", "- Plan v2", "CP-1")
    assert "- Plan v2\n\n## Next" in result
