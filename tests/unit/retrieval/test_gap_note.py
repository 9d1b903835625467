"""The answer says plainly when the SOP only names what the question asks about."""

from __future__ import annotations

from pmo_playbook.ai.answers import gap_note

NAMED_ONLY = (("Tools & Templates", "Risk Register"), ("Deliverables", "Project Charter"))
DETAILED = (
    ("Risk Register", "Each risk has an owner, a likelihood and an impact score, a response."),
    ("Deliverables", "Project Charter"),
)


def test_contents_question_on_a_thing_only_named() -> None:
    note = gap_note("What should a risk register contain?", "SOP-003", NAMED_ONLY)
    assert note == "SOP-003 names “risk register” but does not say what it contains."
    note = gap_note("what goes into the risk register", "SOP-003", NAMED_ONLY)
    assert note == "SOP-003 names “risk register” but does not say what it contains."


def test_contents_question_answered_by_a_section_of_its_own() -> None:
    assert gap_note("What should a risk register include?", "SOP-011", DETAILED) is None


def test_definition_and_how_to_notes_still_apply() -> None:
    assert gap_note("What is a project charter?", "SOP-002", NAMED_ONLY) == (
        "SOP-002 names “project charter” but does not define it."
    )
    assert gap_note("How do I write a project charter?", "SOP-002", NAMED_ONLY) == (
        "SOP-002 names “project charter” but does not say how to produce it."
    )
    assert gap_note("Who approves the budget?", "SOP-002", NAMED_ONLY) is None
