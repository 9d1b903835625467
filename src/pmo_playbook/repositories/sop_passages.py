"""SQL of the chat's passage index (tables sop_index and sop_passages, migration 0011).

PostgreSQL does the text work: `to_tsvector('english', …)` parses and stems every passage and
question alike, and the GIN index finds the passages sharing a lexeme with the question. The
vectors are plain `real[]`: the retrieval compares them in the process (no extension needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pmo_playbook.repositories.base import Repository, storage_errors

_INDEX_LOCK = 0x504D4F5F53524348  # "PMO_SRCH": serialises index rebuilds across sessions
# Part of every fingerprint: bump when passages are built differently, so indexes made by older
# code are rebuilt on the next question.
INDEX_VERSION = "p1"
_FINGERPRINT = """md5(a.data::text || '|' || a.phase::text || '|' || a.is_active::text || '|'
    || coalesce(h.data->>'markdownContent', '') || '|' || %(version)s)"""
_STALE = f"""
SELECT a.sop_id FROM agent_sops a
LEFT JOIN human_sops h ON h.sop_id = a.sop_id AND h.is_active
LEFT JOIN sop_index s ON s.sop_id = a.sop_id
WHERE a.is_active AND s.source_hash IS DISTINCT FROM {_FINGERPRINT}
UNION ALL
SELECT s.sop_id FROM sop_index s
WHERE NOT EXISTS (SELECT 1 FROM agent_sops a WHERE a.sop_id = s.sop_id AND a.is_active)
"""  # noqa: S608 - constant text, values bound
_SOURCE = f"""
SELECT a.sop_id, a.phase, a.is_active, a.data, h.data->>'markdownContent', {_FINGERPRINT}
FROM agent_sops a LEFT JOIN human_sops h ON h.sop_id = a.sop_id AND h.is_active
WHERE a.sop_id = %(sop_id)s
"""  # noqa: S608 - constant text, values bound
_INSERT_SOP = """
INSERT INTO sop_index (sop_id, source_hash, title, phase) VALUES (%s, %s, %s, %s)
"""
_INSERT_PASSAGE = """
INSERT INTO sop_passages (sop_id, kind, position, section, body, search, length,
                          embedding, embedding_model)
SELECT %(sop_id)s, %(kind)s, %(position)s, %(section)s, %(body)s, v, length(v),
       %(embedding)s, %(model)s
FROM to_tsvector('english', %(text)s) AS v
"""
_QUERY_MATCHES = """
WITH q AS (SELECT DISTINCT lexeme FROM unnest(to_tsvector('english', %(text)s)))
SELECT p.id, t.lexeme, coalesce(array_length(t.positions, 1), 1)
FROM sop_passages p CROSS JOIN LATERAL unnest(p.search) AS t
WHERE p.search @@ (SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery FROM q)
  AND t.lexeme IN (SELECT lexeme FROM q)
"""
_QUERY_LEXEMES = "SELECT DISTINCT lexeme FROM unnest(to_tsvector('english', %s))"
_ALL_PASSAGES = """
SELECT id, sop_id, kind, position, section, body, length,
       CASE WHEN embedding_model = %s THEN embedding END
FROM sop_passages ORDER BY sop_id, kind, position
"""
_GENERATION = """
SELECT (SELECT count(*) FROM sop_passages), (SELECT coalesce(max(id), 0) FROM sop_passages),
       (SELECT count(*) FROM sop_passages WHERE embedding IS NOT NULL),
       (SELECT max(indexed_at)::text FROM sop_index)
"""
_MISSING = """
SELECT p.id, s.title, p.section, p.body, p.kind FROM sop_passages p
JOIN sop_index s ON s.sop_id = p.sop_id
WHERE p.embedding IS NULL OR p.embedding_model IS DISTINCT FROM %s ORDER BY p.id
"""
_SET_EMBEDDING = "UPDATE sop_passages SET embedding = %s, embedding_model = %s WHERE id = %s"
_HEADERS = "SELECT sop_id, title, phase FROM sop_index ORDER BY phase, sop_id"


@dataclass(frozen=True)
class SourceRow:
    """What one SOP's index is built from, with its current fingerprint."""

    sop_id: str
    phase: int
    is_active: bool
    data: dict[str, Any]
    markdown: str | None
    fingerprint: str


@dataclass(frozen=True)
class NewPassage:
    kind: str
    position: int
    section: str
    body: str
    text: str  # what is parsed into the tsvector (body plus its context)
    embedding: list[float] | None


@dataclass(frozen=True)
class StoredPassage:
    id: int
    sop_id: str
    kind: str
    position: int
    section: str
    body: str
    length: int
    embedding: list[float] | None


class SopPassageRepository(Repository):
    """All SQL of the passage index over one connection (never commits)."""

    def lock(self) -> None:
        """Serialise index writers until the end of the transaction."""
        with storage_errors("SOP passage index: lock"):
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_INDEX_LOCK,))

    def stale_sop_ids(self) -> list[str]:
        with storage_errors("SOP passage index: find stale SOPs"):
            rows = self.conn.execute(_STALE, {"version": INDEX_VERSION}).fetchall()
        return [str(r[0]) for r in rows]

    def source(self, sop_id: str) -> SourceRow | None:
        with storage_errors("SOP passage index: read source"):
            row = self.conn.execute(
                _SOURCE, {"sop_id": sop_id, "version": INDEX_VERSION}
            ).fetchone()
        return None if row is None else SourceRow(*row)

    def delete(self, sop_id: str) -> None:
        with storage_errors(f"SOP passage index: delete {sop_id}"):
            self.conn.execute("DELETE FROM sop_index WHERE sop_id = %s", (sop_id,))

    def insert(
        self,
        sop_id: str,
        fingerprint: str,
        header: tuple[str, int],
        passages: Sequence[NewPassage],
        model: str | None,
    ) -> None:
        rows = [
            {
                "sop_id": sop_id,
                "kind": p.kind,
                "position": p.position,
                "section": p.section,
                "body": p.body,
                "text": p.text,
                "embedding": p.embedding,
                "model": model if p.embedding is not None else None,
            }
            for p in passages
        ]
        with storage_errors(f"SOP passage index: index {sop_id}"), self.conn.cursor() as cur:
            cur.execute(_INSERT_SOP, (sop_id, fingerprint, header[0], header[1]))
            cur.executemany(_INSERT_PASSAGE, rows)

    def question_lexemes(self, text: str) -> list[str]:
        with storage_errors("SOP passage index: parse question"):
            return [str(r[0]) for r in self.conn.execute(_QUERY_LEXEMES, (text,)).fetchall()]

    def matches(self, text: str) -> list[tuple[int, str, int]]:
        """(passage id, lexeme, term frequency) for every passage sharing a lexeme with
        `text` (english stemming and stop words, as in the index)."""
        with storage_errors("SOP passage index: full-text search"):
            return [
                (int(r[0]), str(r[1]), int(r[2]))
                for r in self.conn.execute(_QUERY_MATCHES, {"text": text}).fetchall()
            ]

    def generation(self) -> tuple[int, int, int, str]:
        """Changes whenever passages or their vectors change (key of the in-process cache)."""
        with storage_errors("SOP passage index: read index state"):
            row = self.conn.execute(_GENERATION).fetchone()
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2]), str(row[3])

    def all_passages(self, model: str | None) -> list[StoredPassage]:
        with storage_errors("SOP passage index: read passages"):
            rows = self.conn.execute(_ALL_PASSAGES, (model or "",)).fetchall()
        return [StoredPassage(*r) for r in rows]

    def missing_embeddings(self, model: str) -> list[tuple[int, str, str, str, str]]:
        with storage_errors("SOP passage index: read passages to embed"):
            rows = self.conn.execute(_MISSING, (model,)).fetchall()
        return [(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]

    def set_embeddings(self, model: str, vectors: list[tuple[int, list[float]]]) -> None:
        with storage_errors("SOP passage index: store embeddings"), self.conn.cursor() as cur:
            cur.executemany(_SET_EMBEDDING, [(vec, model, pid) for pid, vec in vectors])

    def headers(self) -> dict[str, tuple[str, int]]:
        """(title, phase) of every indexed SOP, by phase then id."""
        with storage_errors("SOP passage index: read SOP titles"):
            rows = self.conn.execute(_HEADERS).fetchall()
        return {str(r[0]): (str(r[1]), int(r[2])) for r in rows}
