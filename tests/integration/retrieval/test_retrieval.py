"""Retrieval over the five real SOPs in PostgreSQL (full-text; hybrid when the model is there)."""

from __future__ import annotations

from typing import Any

import pytest
from psycopg.types.json import Jsonb

from pmo_playbook.ai import embeddings, indexer
from pmo_playbook.ai.retrieval import REFUSAL_THRESHOLD, retrieve
from pmo_playbook.services.sop_events import notify_agent_sop_saved
from pmo_playbook.web.api import chat as _chat_router  # noqa: F401  (registers the listener)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How do I write the project charter?", "SOP-002"),
        ("who is responsible for the business case", "SOP-001"),
        ("Which template should I use for the weekly status report?", "SOP-004"),
        ("how should we capture lessons learnt at the end?", "SOP-005"),
        ("work breakdown structure and baseline schedule", "SOP-003"),
        ("stakholder registr", "SOP-002"),
    ],
)
def test_retrieve_picks_the_right_sop(sconn: Any, question: str, expected: str) -> None:
    result = retrieve(sconn, question, semantic=False)
    assert result.sop is not None and result.sop.sop_id == expected
    assert result.confidence >= REFUSAL_THRESHOLD
    assert result.sections, "the best passages of the chosen SOP are returned"


@pytest.mark.parametrize(
    "question",
    ["What's the weather in Paris?", "write me a haiku about cats", "how do I reset my password"],
)
def test_retrieve_refuses_off_topic(sconn: Any, question: str) -> None:
    result = retrieve(sconn, question, semantic=False)
    assert result.sop is None
    assert result.confidence < REFUSAL_THRESHOLD


def test_index_is_rebuilt_lazily_when_agent_sops_change(sconn: Any) -> None:
    assert retrieve(sconn, "pre-mortem workshop", semantic=False).sop is None
    sconn.execute(
        "UPDATE agent_sops SET data = jsonb_set(data, '{sections,keyActivities}', "
        "(data->'sections'->'keyActivities') || %s) WHERE sop_id = 'SOP-003'",
        (Jsonb(["Run a pre-mortem workshop with the team"]),),
    )
    result = retrieve(sconn, "pre-mortem workshop", semantic=False)
    assert result.sop is not None and result.sop.sop_id == "SOP-003"
    assert any("pre-mortem" in s.body for s in result.sections)


def test_listener_reindexes_in_the_saving_transaction(sconn: Any) -> None:
    indexer.ensure_fresh(sconn, with_embeddings=False)
    sconn.execute("UPDATE agent_sops SET is_active = false WHERE sop_id = 'SOP-005'")
    notify_agent_sop_saved(sconn, "SOP-005")
    row = sconn.execute("SELECT count(*) FROM agent_sop_search WHERE sop_id = 'SOP-005'").fetchone()
    assert row == (0,)
    assert indexer.ensure_fresh(sconn, with_embeddings=False) == 0, (
        "nothing left stale after the listener ran"
    )
    result = retrieve(sconn, "lessons learned closure report", semantic=False)
    assert result.sop is None or result.sop.sop_id != "SOP-005"


def test_deleted_sop_leaves_the_index(sconn: Any) -> None:
    indexer.ensure_fresh(sconn, with_embeddings=False)
    sconn.execute("DELETE FROM agent_sops WHERE sop_id = 'SOP-002'")
    assert indexer.ensure_fresh(sconn, with_embeddings=False) == 1
    row = sconn.execute(
        "SELECT count(*) FROM agent_sop_sections WHERE sop_id = 'SOP-002'"
    ).fetchone()
    assert row == (0,)


def test_semantic_retrieval_when_available(sconn: Any) -> None:
    """With pgvector (PG 18 here) and the packaged model, passages get embeddings and the
    ranking is hybrid; without the model package the same call stays full-text."""
    result = retrieve(sconn, "How do I hand over to the support team?")
    has_column = sconn.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'agent_sop_sections' "
        "AND column_name = 'embedding'"
    ).fetchone()
    assert has_column == (1,), "the embedded PostgreSQL 18 has pgvector"
    if embeddings.get_model() is None:
        assert result.method == "fulltext"
        return
    assert result.method == "hybrid"
    missing = sconn.execute(
        "SELECT count(*) FROM agent_sop_sections WHERE embedding IS NULL"
    ).fetchone()
    assert missing == (0,)
    assert result.sop is not None and result.sop.sop_id == "SOP-005"
