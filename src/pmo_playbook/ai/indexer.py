"""Keep the retrieval index in step with agent_sops.

Two triggers: the SOP change listener (`reindex_sop`, called in the transaction that saved the
agent SOP) and a lazy check before every retrieval (`ensure_fresh`), which finds SOPs whose
fingerprint changed (migrated data, edits made without the hook, deleted SOPs) and rebuilds
only those. Rebuilds hold a transaction-level advisory lock so concurrent requests never
index the same SOP twice.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg

from pmo_playbook.ai import embeddings
from pmo_playbook.ai.lifecycle_glossary import stage_terms
from pmo_playbook.ai.sections import build_document, passage_text
from pmo_playbook.ai.thesaurus import normalize
from pmo_playbook.repositories.sop_search import SopSearchRepository

log = logging.getLogger(__name__)


def _index_one(repo: SopSearchRepository, sop_id: str) -> None:
    """Replace the index rows of one SOP (inactive or deleted SOPs end up with none)."""
    repo.delete(sop_id)
    source = repo.source(sop_id)
    if source is None or not source.is_active or not isinstance(source.data, dict):
        return
    doc = build_document(source.sop_id, int(source.phase), source.data)
    passages = [
        (p.section_key, p.position, p.heading, p.body, *passage_text(p)) for p in doc.passages
    ]
    # The SOP's lifecycle-stage glossary, at the lowest weight (D). Normalised like SOP text but
    # not expanded into concept tokens: the rings' document frequencies stay those of the SOPs.
    glossary = normalize(stage_terms(doc.phase, doc.title))
    repo.insert(
        sop_id=doc.sop_id,
        source_hash=source.fingerprint,
        header=(doc.title, doc.phase),
        weights=(doc.weight_a, doc.weight_b, doc.weight_c, f"{doc.weight_d} {glossary}".strip()),
        vocabulary=doc.vocabulary,
        passages=passages,
    )


def _embed_missing(conn: psycopg.Connection[Any], repo: SopSearchRepository) -> None:
    """Compute embeddings for passages that lack them (only with pgvector and the model)."""
    model = embeddings.get_model()
    if model is None or not repo.has_embeddings():
        return
    missing = repo.passages_missing_embeddings(model.name)
    if not missing:
        return
    texts = [f"{title}. {heading}: {body}" for _, title, heading, body in missing]
    vectors = model.encode(texts)
    repo.set_embeddings(
        model.name,
        [
            (pid, embeddings.to_literal(vec))
            for (pid, *_), vec in zip(missing, vectors, strict=True)
        ],
    )


def ensure_fresh(conn: psycopg.Connection[Any], *, with_embeddings: bool = True) -> int:
    """Rebuild the index rows of every stale SOP; the number of SOPs rebuilt."""
    repo = SopSearchRepository(conn)
    if not repo.stale_sop_ids():
        return 0
    repo.lock()
    stale = repo.stale_sop_ids()  # again, under the lock: another request may have done it
    for sop_id in stale:
        _index_one(repo, sop_id)
    if stale and with_embeddings:
        _embed_missing(conn, repo)
    if stale:
        log.info("search index: rebuilt %d SOP(s)", len(stale))
    return len(stale)


def reindex_sop(conn: psycopg.Connection[Any], sop_id: str) -> None:
    """Agent SOP change listener: rebuild that SOP's index rows (and embeddings) now."""
    repo = SopSearchRepository(conn)
    repo.lock()
    _index_one(repo, sop_id)
    _embed_missing(conn, repo)
