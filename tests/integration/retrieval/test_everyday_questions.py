"""Round 3 of retrieval: everyday-subject projects, typos in short key words, more
completed-milestone wordings, artefacts of the chosen stage, social chores.

Pure functions first (no database), then end-to-end retrieval against the five seed SOPs in the
real PostgreSQL the suite starts (full-text mode).
"""

from __future__ import annotations

from typing import Any

import pytest

from pmo_playbook.ai import retrieval as r
from pmo_playbook.ai.artefacts import artefact_stages
from pmo_playbook.ai.domain import assess
from pmo_playbook.ai.query import prepare
from pmo_playbook.ai.stage_cues import stage_cues
from pmo_playbook.ai.wordlist import english_words

VOCABULARY = frozenset(["issue", "issues", "risk", "change", "scope", "stage", "fund", "plan"])


def _verdict(question: str) -> Any:
    return assess(question, has_stage_cue=bool(stage_cues(question)))


@pytest.mark.parametrize(
    "question",
    [
        "we want to replace the payroll software, how do we put it forward as a possible project",
        "who is affected by the expense claims redesign now that it is officially a project",
        "how do I tackle the main risk on the annual leave tool before the build starts",
        "the payroll migration project is running late, who do I tell",
        "planning the project to move everyone's annual leave records to the new HR system",
    ],
)
def test_soft_terms_yield_to_a_project_process_question(question: str) -> None:
    verdict = _verdict(question)
    assert verdict.out_of_scope is None
    assert verdict.in_domain


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("when is payroll paid this month", "payroll"),
        ("how many days of annual leave do I have left", "annual leave"),
        ("how do I submit my travel expenses for reimbursement", "reimbursement"),
        ("export a Gantt chart from MS Project to PDF", "pdf"),  # a tool, not a project
        ("our payroll team has a new starter, when is payroll paid", "payroll"),
        # the asker's own admin during a project, and format chores without a named artefact
        ("can I take annual leave during the project", "annual leave"),
        ("how do I claim my expenses for the project kickoff travel", "claim my expenses"),
        ("convert the project plan to pdf", "pdf"),
    ],
)
def test_soft_terms_still_refuse_without_a_project_process(question: str, term: str) -> None:
    verdict = _verdict(question)
    assert verdict.out_of_scope == term
    assert not verdict.in_domain


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("Priya hits a big project milestone on Friday, who is getting the cake?", "cake"),
        ("who is organising drinks after the kick-off", "drinks"),
        ("what gift should we buy the sponsor for her birthday", "gift"),
        ("can everyone sign the leaving card for our project manager", "sign the leaving card"),
        ("where should we hold the end of project party", "party"),
    ],
)
def test_social_chores_are_out_of_scope_even_with_project_words(question: str, term: str) -> None:
    verdict = _verdict(question)
    assert verdict.out_of_scope == term
    assert not verdict.in_domain


@pytest.mark.parametrize(
    "question",
    [
        "the third party supplier is late with the hardware",
        "how do I keep all interested parties informed",
        "how do we celebrate and thank the team at the end",
        "which card does the status report use for a red milestone",
    ],
)
def test_project_uses_of_social_looking_words_are_not_flagged(question: str) -> None:
    assert _verdict(question).out_of_scope is None


def test_english_word_list_is_available() -> None:
    # the packaged tokenizer's vocabulary: real words, not typos
    words = english_words()
    assert {"found", "cover", "lunch", "score"} <= words
    assert "isue" not in words and "stakholder" not in words


@pytest.mark.parametrize(
    ("question", "fixed"),
    [
        ("where do I log a new isue", ("isue", "issue")),  # deletion in a 4-letter word
        ("what is the rsik", ("rsik", "risk")),  # transposition
        ("how do I raise a chnage", ("chnage", "change")),
        ("the sope grew", ("sope", "scope")),
    ],
)
def test_short_key_word_typos_are_corrected(question: str, fixed: tuple[str, str]) -> None:
    assert fixed in prepare(question, VOCABULARY).corrections


@pytest.mark.parametrize(
    "question", ["we found a defect", "the sage advice of the sponsor", "plan cover for leave"]
)
def test_real_words_near_project_words_are_not_corrected(question: str) -> None:
    assert prepare(question, VOCABULARY).corrections == ()


@pytest.mark.parametrize(
    "phrase",
    [
        "where do I log a defect found during UAT",
        "a problem came up in user acceptance testing",
        "the test team found a blocker",
    ],
)
def test_acceptance_testing_is_delivery(phrase: str) -> None:
    assert "implement and control" in stage_cues(phrase)


@pytest.mark.parametrize(
    ("phrase", "stage"),
    [
        ("we've got the charter signed, what now", "design and plan"),
        ("we have the business case approved by the board", "initiation"),
        ("I had the project charter signed off yesterday", "design and plan"),
        ("the charter has been signed off, what's next", "design and plan"),
        ("now I need to turn it into a proper plan with dates", "design and plan"),
        ("now we have to work out the schedule and budget", "design and plan"),
        ("can this be considered as a potential project", "pre-initiation"),
        ("now that it's officially a project, who do I talk to", "initiation"),
    ],
)
def test_milestone_and_status_wordings_cue_their_stage(phrase: str, stage: str) -> None:
    assert stage in stage_cues(phrase)


def test_not_yet_a_project_is_not_initiation() -> None:
    assert "initiation" not in stage_cues("before it is officially a project, who decides")
    assert "design and plan" not in stage_cues("now I need to report progress to the sponsor")


def test_artefact_stages() -> None:
    assert artefact_stages("split it into work packages") == {"design and plan"}
    assert artefact_stages("before the plan gets baselined") == {"design and plan"}
    assert artefact_stages("draft the charter") == {"initiation"}
    assert artefact_stages("what should I have for lunch") == frozenset()


@pytest.mark.parametrize(
    ("question", "phase"),
    [
        ("how do I divide the warehouse relocation into work packages?", 3),
        ("as PMO, what do we review on a project plan before it is baselined?", 3),
        ("were do I log a new isue that came up during UAT?", 4),
        ("the new expenses tool should be looked at as a possible project, where do I start", 1),
    ],
)
def test_round3_questions_get_their_stage(sconn: Any, question: str, phase: int) -> None:
    result = r.retrieve(sconn, question, semantic=False)
    assert result.sop is not None and result.sop.phase == phase


@pytest.mark.parametrize(
    "question",
    [
        "when is payroll paid this month",
        "Priya hits a big project milestone on Friday, who is getting the cake?",
    ],
)
def test_round3_off_topic_stays_refused(sconn: Any, question: str) -> None:
    result = r.retrieve(sconn, question, semantic=False)
    assert result.sop is None and not result.closest
