"""Keep the passage index in step with the SOPs.

Two triggers: `reindex_sop`, called by the SOP regeneration in the transaction that
created or edited the SOP, so a new SOP is answerable as soon as it commits) and a check before
every question (`ensure_fresh`), which rebuilds SOPs whose fingerprint changed (migrated data,
SQL edits, deleted SOPs) and embeds passages that have no vector yet (the model was installed
later). Rebuilds hold a transaction-level advisory lock.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg

from pmo_playbook.ai import embeddings
from pmo_playbook.ai.passages import OUTLINE, UNIT, Passage, markdown_of_agent, split
from pmo_playbook.documents.sop_parser import strip_title_prefix
from pmo_playbook.repositories.sop_passages import NewPassage, SopPassageRepository

log = logging.getLogger(__name__)


def context_text(title: str, passage: Passage) -> str:
    """What a passage is searched and embedded as: its words plus where they stand. Units
    carry their heading, sections and the outline the SOP title too."""
    if passage.kind == OUTLINE:
        return passage.body
    if passage.kind == UNIT:
        return f"{passage.section}: {passage.body}" if passage.section else passage.body
    return f"{title}. {passage.section}: {passage.body}"


def embedding_text(title: str, section: str, body: str, kind: str) -> str:
    if kind == OUTLINE:
        return body
    return f"{title}. {section}: {body}" if section else f"{title}. {body}"


def _index_one(repo: SopPassageRepository, sop_id: str) -> None:
    """Replace the index rows of one SOP (inactive or deleted SOPs end up with none)."""
    repo.delete(sop_id)
    source = repo.source(sop_id)
    if source is None or not source.is_active or not isinstance(source.data, dict):
        return
    title = strip_title_prefix(str(source.data.get("title") or sop_id))
    markdown = source.markdown or markdown_of_agent(source.data, sop_id)
    passages = split(markdown, title)
    model = embeddings.get_model()
    vectors: list[list[float] | None] = [None] * len(passages)
    if model is not None:
        encoded = model.encode([embedding_text(title, p.section, p.body, p.kind) for p in passages])
        vectors = [row.tolist() for row in encoded]
    rows = [
        NewPassage(p.kind, p.position, p.section, p.body, context_text(title, p), vec)
        for p, vec in zip(passages, vectors, strict=True)
    ]
    repo.insert(
        sop_id, source.fingerprint, (title, int(source.phase)), rows, model.name if model else None
    )


def _embed_missing(repo: SopPassageRepository) -> int:
    model = embeddings.get_model()
    if model is None:
        return 0
    missing = repo.missing_embeddings(model.name)
    if not missing:
        return 0
    vectors = model.encode([embedding_text(t, s, b, k) for _, t, s, b, k in missing])
    repo.set_embeddings(
        model.name, [(pid, vec.tolist()) for (pid, *_), vec in zip(missing, vectors, strict=True)]
    )
    return len(missing)


def ensure_fresh(conn: psycopg.Connection[Any]) -> int:
    """Rebuild every stale SOP and embed passages lacking vectors; the SOPs rebuilt."""
    repo = SopPassageRepository(conn)
    stale = repo.stale_sop_ids()
    model = embeddings.get_model()
    unembedded = model is not None and bool(repo.missing_embeddings(model.name))
    if not stale and not unembedded:
        return 0
    repo.lock()
    stale = repo.stale_sop_ids()  # again, under the lock: another request may have done it
    for sop_id in stale:
        _index_one(repo, sop_id)
    embedded = _embed_missing(repo)
    if stale or embedded:
        log.info("passage index: rebuilt %d SOP(s), embedded %d passage(s)", len(stale), embedded)
    return len(stale)


def reindex_sop(conn: psycopg.Connection[Any], sop_id: str) -> None:
    """Rebuild that SOP's passages (with vectors) now, in the caller's transaction."""
    repo = SopPassageRepository(conn)
    repo.lock()
    _index_one(repo, sop_id)
