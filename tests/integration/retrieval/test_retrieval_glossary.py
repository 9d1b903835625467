"""The lifecycle-stage glossary: questions in a project manager's own words reach the SOP of
that stage through low-weight (D) index terms, and off-topic near-misses are still refused."""

from __future__ import annotations

from typing import Any

import pytest

from pmo_playbook.ai import indexer
from pmo_playbook.ai.lifecycle_glossary import stage_of, stage_terms
from pmo_playbook.ai.retrieval import retrieve


def test_stage_comes_from_the_phase_else_the_title() -> None:
    assert stage_of(1, "Anything") == "pre-initiation"
    assert stage_of(4, "Anything") == "implement and control"
    assert stage_of(0, "PMO SOP - Pre-Initiation Phase") == "pre-initiation"
    assert stage_of(0, "PMO SOP - Initiation Phase") == "initiation"
    assert stage_of(0, "Close and Realize Benefits") == "close"
    assert stage_of(0, "Travel policy") is None
    assert stage_terms(0, "Travel policy") == ""


def test_glossary_terms_are_indexed_at_weight_d_only(sconn: Any) -> None:
    """'feasibility' is in no SOP's text: only SOP-001 (pre-initiation) has it, at weight D."""
    indexer.ensure_fresh(sconn, with_embeddings=False)
    rows = sconn.execute(
        "SELECT sop_id, search @@ to_tsquery('english', 'feasibility'), "
        "ts_filter(search, '{a,b,c}') @@ to_tsquery('english', 'feasibility') "
        "FROM agent_sop_search ORDER BY sop_id"
    ).fetchall()
    assert rows == [
        ("SOP-001", True, False),
        ("SOP-002", False, False),
        ("SOP-003", False, False),
        ("SOP-004", False, False),
        ("SOP-005", False, False),
    ]


@pytest.mark.parametrize(
    ("question", "sop"),
    [
        ("is this proposal feasible, what is the payback", "SOP-001"),
        ("our supplier is slipping and it is a blocker", "SOP-004"),
        ("disband and demobilise the people at completion", "SOP-005"),
    ],
)
def test_question_in_glossary_words_only_reaches_the_stage_sop(
    sconn: Any, question: str, sop: str
) -> None:
    result = retrieve(sconn, question, semantic=False)
    assert result.sop is not None and result.sop.sop_id == sop, result.reasoning


@pytest.mark.parametrize(
    "question",
    [
        "how do I do agile sprint planning in Jira",
        "How do I configure a Kanban board in Trello for my project?",
        "how do I negotiate my salary as a project manager",
    ],
)
def test_off_topic_near_misses_are_still_refused(sconn: Any, question: str) -> None:
    result = retrieve(sconn, question, semantic=False)
    assert result.sop is None, (question, result.candidates[:1], result.confidence)


def test_stage_specific_words_count_twice_shared_words_once() -> None:
    """'feasibility' is listed under pre-initiation only, 'budget' under three stages: the
    specific word is repeated in the stage text, the shared one is not."""
    words = stage_terms(1, "Anything").lower().split()
    assert words.count("feasibility") == 2
    assert words.count("budget") == 1
    assert "feasibility" not in stage_terms(3, "Anything").lower().split()


def test_stage_specific_words_outweigh_shared_ones_in_the_index(sconn: Any) -> None:
    """The repetition reaches the index: in SOP-001's weight-D text 'feasibility' (specific)
    has two positions, 'budget' (also listed under initiation and planning) one."""
    indexer.ensure_fresh(sconn, with_embeddings=False)
    positions = dict(
        sconn.execute(
            "SELECT lexeme, array_length(positions, 1) FROM agent_sop_search, "
            "unnest(ts_filter(search, '{d}')) WHERE sop_id = 'SOP-001' "
            "AND lexeme IN ('feasibl', 'budget')"
        ).fetchall()
    )
    assert positions["feasibl"] == 2
    assert positions["budget"] == 1
