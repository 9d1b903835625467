"""SQL of the chat's retrieval index (tables agent_sop_search and agent_sop_sections, 0004).

Scoring is a field-weighted, IDF-weighted sum of cover-density ranks: for every lexeme of the
question, `ts_rank_cd` over the SOP's weighted tsvector (A title/keywords, B headings, C section
text, D summary) times the lexeme's inverse document frequency among the indexed SOPs, so words
every SOP contains ("project") count for little and distinctive ones ("charter") for a lot.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

from pmo_playbook.errors import PmoError, StorageError

# ts_rank_cd weights in {D, C, B, A} order.
FIELD_WEIGHTS = [0.1, 0.25, 0.4, 1.0]
_INDEX_LOCK = 0x504D4F5F53524348  # "PMO_SRCH": serialises index rebuilds across sessions

# The fingerprint of an agent SOP row: what the index of that SOP was built from. It includes
# INDEX_VERSION, bumped whenever the way SOP text is turned into index rows changes (tokenising,
# concept rings), so existing indexes are rebuilt lazily by the new code.
# 3: lifecycle glossary in weight D; 4: broadened glossary; 5: stage-specific words only;
# 6: contractions ("we're") no longer joined to the next word as a "re" prefix; 7: more
# word orders in the work-breakdown ring; 8: "what went well" and "raise a problem" rings;
# 9: prioritising competing requests, promised value, sequencing and critical path;
# 10: the people a project affects are its stakeholders; 11: "go or no go"; 12: defects are
# issues.
INDEX_VERSION = "12"

_STALE = """
SELECT a.sop_id FROM agent_sops a LEFT JOIN agent_sop_search s ON s.sop_id = a.sop_id
WHERE a.is_active AND s.source_hash IS DISTINCT FROM
      md5(a.data::text || '|' || a.phase::text || '|' || a.is_active::text || '|' || %(version)s)
UNION ALL
SELECT s.sop_id FROM agent_sop_search s
WHERE NOT EXISTS (SELECT 1 FROM agent_sops a WHERE a.sop_id = s.sop_id AND a.is_active)
"""
_SOURCE_ONE = """
SELECT a.sop_id, a.phase, a.is_active, a.data,
       md5(a.data::text || '|' || a.phase::text || '|' || a.is_active::text || '|' || %(version)s)
FROM agent_sops a WHERE a.sop_id = %(sop_id)s
"""
_DELETE_DOC = "DELETE FROM agent_sop_search WHERE sop_id = %s"
_DELETE_SECTIONS = "DELETE FROM agent_sop_sections WHERE sop_id = %s"
_INSERT_DOC = """
INSERT INTO agent_sop_search (sop_id, source_hash, title, phase, search, vocabulary)
VALUES (%(sop_id)s, %(hash)s, %(title)s, %(phase)s,
        setweight(to_tsvector('english', %(a)s), 'A')
     || setweight(to_tsvector('english', %(b)s), 'B')
     || setweight(to_tsvector('english', %(c)s), 'C')
     || setweight(to_tsvector('english', %(d)s), 'D'),
        %(vocabulary)s)
"""
_INSERT_SECTION = """
INSERT INTO agent_sop_sections (sop_id, section_key, position, heading, body, search)
VALUES (%s, %s, %s, %s, %s,
        setweight(to_tsvector('english', %s), 'B') || setweight(to_tsvector('english', %s), 'C'))
"""
_QUERY_LEXEMES = """
WITH q AS (
    SELECT DISTINCT lex FROM unnest(tsvector_to_array(to_tsvector('english', %(text)s))) AS lex
), n AS (SELECT count(*)::float8 AS total FROM agent_sop_search)
SELECT q.lex,
       (SELECT count(*) FROM agent_sop_search s WHERE s.search @@ quote_literal(q.lex)::tsquery)
           AS df,
       n.total,
       q.lex = ANY (tsvector_to_array(to_tsvector('english', %(rest)s))) AS in_rest
FROM q, n ORDER BY q.lex
"""
# Adjacent question words found side by side in a SOP earn a proximity bonus (two-word
# phrase queries only: pairs that lose a stop word are skipped).
_RANK_SOPS = """
WITH w AS (
    SELECT quote_literal(t.lex)::tsquery AS tq, t.lex, t.idf
    FROM unnest(%(lexemes)s::text[], %(idfs)s::float8[]) AS t(lex, idf)
), p AS (
    SELECT pq
    FROM (SELECT phraseto_tsquery('english', x) AS pq FROM unnest(%(pairs)s::text[]) AS x) y
    WHERE numnode(pq) = 3
), ranked AS (
    SELECT s.sop_id, s.title, s.phase, s.search,
           sum(w.idf * ts_rank_cd(%(weights)s::float4[], s.search, w.tq)) AS score,
           array_agg(w.lex ORDER BY w.lex) AS matched
    FROM agent_sop_search s JOIN w ON s.search @@ w.tq
    GROUP BY s.sop_id, s.title, s.phase, s.search
)
SELECT r.sop_id, r.title, r.phase,
       r.score + %(pair_weight)s * coalesce(
           (SELECT sum(ts_rank_cd(%(weights)s::float4[], r.search, p.pq)) FROM p
            WHERE r.search @@ p.pq), 0) AS score,
       r.matched
FROM ranked r
ORDER BY score DESC, r.sop_id
LIMIT %(limit)s
"""
_RANK_SECTIONS = """
WITH w AS (
    SELECT quote_literal(t.lex)::tsquery AS tq, t.idf
    FROM unnest(%(lexemes)s::text[], %(idfs)s::float8[]) AS t(lex, idf)
)
SELECT c.id, c.section_key, c.position, c.heading, c.body,
       coalesce(sum(w.idf * ts_rank_cd(%(weights)s::float4[], c.search, w.tq))
                FILTER (WHERE c.search @@ w.tq), 0) AS score
FROM agent_sop_sections c CROSS JOIN w
WHERE c.sop_id = %(sop_id)s
GROUP BY c.id
ORDER BY score DESC, c.id
"""
_ALL_SECTIONS = """
SELECT id, section_key, position, heading, body, 0.0::float8
FROM agent_sop_sections WHERE sop_id = %s ORDER BY id
"""
_VOCABULARY = "SELECT DISTINCT unnest(vocabulary) FROM agent_sop_search"
_GENERATION = "SELECT count(*), max(indexed_at)::text FROM agent_sop_search"
_HAS_EMBEDDINGS = """
SELECT EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_name = 'agent_sop_sections' AND column_name = 'embedding'
                 AND table_schema = current_schema())
"""
_MISSING_EMBEDDINGS = """
SELECT c.id, s.title, c.heading, c.body FROM agent_sop_sections c
JOIN agent_sop_search s ON s.sop_id = c.sop_id
WHERE c.embedding IS NULL OR c.embedding_model IS DISTINCT FROM %s
ORDER BY c.id
"""
_SET_EMBEDDING = (
    "UPDATE agent_sop_sections SET embedding = %s::vector, embedding_model = %s WHERE id = %s"
)
_NEAREST_SOPS = """
SELECT c.sop_id, max(1 - (c.embedding <=> %(vec)s::vector)) AS similarity
FROM agent_sop_sections c
WHERE c.embedding IS NOT NULL AND c.embedding_model = %(model)s
GROUP BY c.sop_id ORDER BY similarity DESC, c.sop_id LIMIT %(limit)s
"""
_CATALOGUE = "SELECT sop_id, title FROM agent_sop_search ORDER BY phase, sop_id"
_ALL_HEADERS = "SELECT sop_id, title, phase FROM agent_sop_search"


@dataclass(frozen=True)
class SourceRow:
    """An agent SOP as the indexer reads it, with its current fingerprint."""

    sop_id: str
    phase: int
    is_active: bool
    data: dict[str, Any]
    fingerprint: str


@dataclass(frozen=True)
class SopScore:
    sop_id: str
    title: str
    phase: int
    score: float
    matched: tuple[str, ...]


@dataclass(frozen=True)
class SectionScore:
    id: int
    section_key: str
    position: int
    heading: str
    body: str
    score: float


@contextmanager
def _storage(what: str) -> Iterator[None]:
    try:
        yield
    except PmoError:
        raise
    except psycopg.Error as exc:
        raise StorageError(f"SOP search index: {what} failed") from exc


class SopSearchRepository:
    """All SQL of the retrieval index over one connection (never commits)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def lock(self) -> None:
        """Serialise index writers until the end of the transaction."""
        with _storage("lock"):
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_INDEX_LOCK,))

    def stale_sop_ids(self) -> list[str]:
        """Agent SOPs whose index rows are missing or outdated, and orphan index rows."""
        with _storage("find stale SOPs"):
            return [
                str(r[0]) for r in self.conn.execute(_STALE, {"version": INDEX_VERSION}).fetchall()
            ]

    def source(self, sop_id: str) -> SourceRow | None:
        """The agent SOP to index, or None when it no longer exists."""
        with _storage("read source"):
            row = self.conn.execute(
                _SOURCE_ONE, {"sop_id": sop_id, "version": INDEX_VERSION}
            ).fetchone()
        return None if row is None else SourceRow(*row)

    def delete(self, sop_id: str) -> None:
        with _storage(f"delete {sop_id}"):
            self.conn.execute(_DELETE_SECTIONS, (sop_id,))
            self.conn.execute(_DELETE_DOC, (sop_id,))

    def insert(
        self,
        sop_id: str,
        source_hash: str,
        header: tuple[str, int],
        weights: tuple[str, str, str, str],
        vocabulary: Sequence[str],
        passages: Sequence[tuple[str, int, str, str, str, str]],
    ) -> None:
        """Store one SOP's document row (`header` = title, phase; `weights` = A, B, C, D texts)
        and its passages (section key, position, heading, body, B text, C text)."""
        params = {
            "sop_id": sop_id,
            "hash": source_hash,
            "title": header[0],
            "phase": header[1],
            "a": weights[0],
            "b": weights[1],
            "c": weights[2],
            "d": weights[3],
            "vocabulary": list(vocabulary),
        }
        rows = [(sop_id, *p) for p in passages]
        with _storage(f"index {sop_id}"), self.conn.cursor() as cur:
            cur.execute(_INSERT_DOC, params)
            cur.executemany(_INSERT_SECTION, rows)

    def query_lexemes(self, text: str, rest: str) -> tuple[list[tuple[str, int, bool]], int]:
        """The question's lexemes with their document frequency and whether they come from
        words no concept explains (`rest`), and the number of indexed SOPs."""
        with _storage("parse question"):
            rows = self.conn.execute(_QUERY_LEXEMES, {"text": text, "rest": rest}).fetchall()
        total = int(rows[0][2]) if rows else 0
        return [(str(r[0]), int(r[1]), bool(r[3])) for r in rows], total

    def rank_sops(
        self,
        lexemes: list[str],
        idfs: list[float],
        pairs: Sequence[str] = (),
        pair_weight: float = 1.0,
        limit: int = 10,
    ) -> list[SopScore]:
        """SOPs matching any lexeme, best first."""
        params = {
            "lexemes": lexemes,
            "idfs": idfs,
            "pairs": list(pairs),
            "pair_weight": pair_weight,
            "weights": FIELD_WEIGHTS,
            "limit": limit,
        }
        with _storage("rank SOPs"):
            rows = self.conn.execute(_RANK_SOPS, params).fetchall()
        return [SopScore(r[0], r[1], int(r[2]), float(r[3]), tuple(r[4])) for r in rows]

    def rank_sections(
        self, sop_id: str, lexemes: list[str], idfs: list[float]
    ) -> list[SectionScore]:
        """Every passage of `sop_id`, best first (score 0 for passages matching nothing)."""
        with _storage("rank sections"):
            if lexemes:
                params = {
                    "lexemes": lexemes,
                    "idfs": idfs,
                    "weights": FIELD_WEIGHTS,
                    "sop_id": sop_id,
                }
                rows = self.conn.execute(_RANK_SECTIONS, params).fetchall()
            else:
                rows = self.conn.execute(_ALL_SECTIONS, (sop_id,)).fetchall()
        return [SectionScore(int(r[0]), r[1], int(r[2]), r[3], r[4], float(r[5])) for r in rows]

    def all_headers(self) -> dict[str, tuple[str, int]]:
        """(title, phase) of every indexed SOP, by sop_id (one query per question)."""
        with _storage("read SOP titles"):
            rows = self.conn.execute(_ALL_HEADERS).fetchall()
        return {r[0]: (r[1], int(r[2])) for r in rows}

    def catalogue(self) -> list[tuple[str, str]]:
        """(sopId, title) of every indexed SOP, by phase."""
        with _storage("list SOPs"):
            return [(str(r[0]), str(r[1])) for r in self.conn.execute(_CATALOGUE).fetchall()]

    def vocabulary(self) -> set[str]:
        with _storage("read vocabulary"):
            return {str(r[0]) for r in self.conn.execute(_VOCABULARY).fetchall()}

    def generation(self) -> str:
        """Changes whenever the index changes (cache key for the vocabulary)."""
        with _storage("read index state"):
            row = self.conn.execute(_GENERATION).fetchone()
        return f"{row[0]}:{row[1]}" if row else "0:"

    def has_embeddings(self) -> bool:
        """Whether migration 0004 could add the pgvector column on this server."""
        with _storage("inspect schema"):
            row = self.conn.execute(_HAS_EMBEDDINGS).fetchone()
        return bool(row and row[0])

    def passages_missing_embeddings(self, model: str) -> list[tuple[int, str, str, str]]:
        with _storage("read passages to embed"):
            rows = self.conn.execute(_MISSING_EMBEDDINGS, (model,)).fetchall()
        return [(int(r[0]), r[1], r[2], r[3]) for r in rows]

    def set_embeddings(self, model: str, vectors: list[tuple[int, str]]) -> None:
        """Store `(passage id, vector literal)` pairs."""
        with _storage("store embeddings"), self.conn.cursor() as cur:
            cur.executemany(_SET_EMBEDDING, [(vec, model, pid) for pid, vec in vectors])

    def nearest_sops(self, vector: str, model: str, limit: int = 10) -> list[tuple[str, float]]:
        params = {"vec": vector, "model": model, "limit": limit}
        with _storage("semantic search"):
            rows = self.conn.execute(_NEAREST_SOPS, params).fetchall()
        return [(str(r[0]), float(r[1])) for r in rows]
