"""How SOP text and questions are tokenised for full-text search, and index versioning."""

from __future__ import annotations

from typing import Any

from pmo_playbook.ai import indexer
from pmo_playbook.ai.retrieval import retrieve
from pmo_playbook.ai.thesaurus import normalize


def test_slash_joined_words_become_separate_words() -> None:
    assert normalize("High-Level Risk/Benefit Analysis") == "high-level risk / benefit analysis"
    assert normalize("Transition to operations/support") == "transition to operations / support"
    assert normalize("go/no-go") == "go / no-go"
    assert normalize("1/2 day") == "1/2 day"  # numbers stay as they are


def test_words_after_a_slash_are_searchable(sconn: Any) -> None:
    """'Weekly/Biweekly Status Reports' (SOP-004): PostgreSQL alone indexes one path token."""
    indexer.ensure_fresh(sconn, with_embeddings=False)
    row = sconn.execute(
        "SELECT search @@ to_tsquery('english', 'biweekly') FROM agent_sop_search "
        "WHERE sop_id = 'SOP-004'"
    ).fetchone()
    assert row == (True,)
    result = retrieve(sconn, "biweekly", semantic=False)
    assert result.sop is not None and result.sop.sop_id == "SOP-004"


def test_index_built_by_an_older_index_version_is_rebuilt(sconn: Any) -> None:
    indexer.ensure_fresh(sconn, with_embeddings=False)
    sconn.execute(  # what version-1 code stored: a fingerprint of the data alone
        "UPDATE agent_sop_search s SET source_hash = md5(a.data::text || '|' || a.phase::text "
        "|| '|' || a.is_active::text) FROM agent_sops a WHERE a.sop_id = s.sop_id"
    )
    assert indexer.ensure_fresh(sconn, with_embeddings=False) == 5
    assert indexer.ensure_fresh(sconn, with_embeddings=False) == 0
