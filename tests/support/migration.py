"""Helpers for the migration tests: dumps written with the official `bson` codec, sources,
queries against a test database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import bson
import psycopg

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.load import deferred_indexes
from pmo_playbook.migration.sources import open_source
from pmo_playbook.migration.sources.base import Source


def write_dump(
    root: Path, collections: dict[str, list[dict[str, Any]]], db: str = "legacy"
) -> Path:
    """A mongodump folder `root/<db>/<collection>.bson` (+ minimal metadata) of `collections`."""
    folder = root / db
    folder.mkdir(parents=True, exist_ok=True)
    for name, docs in collections.items():
        (folder / f"{name}.bson").write_bytes(b"".join(bson.encode(d) for d in docs))
        meta = {"indexes": [{"v": 2, "key": {"_id": 1}, "name": "_id_"}], "collectionName": name}
        (folder / f"{name}.metadata.json").write_text(json.dumps(meta))
    return root


def source(path: Path | str, fmt: str | None = None) -> Source:
    """The sources engineer's entry point (format detected unless given)."""
    return open_source(str(path), format=fmt)


def rows(url: DatabaseUrl, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(url.raw) as conn:
        return conn.execute(query, params).fetchall()  # type: ignore[arg-type]


def execute(url: DatabaseUrl, query: str, params: tuple[Any, ...] = ()) -> None:
    with psycopg.connect(url.raw) as conn:
        conn.execute(query, params)  # type: ignore[arg-type]


def defer_like_a_killed_run(url: DatabaseUrl, table: str = "message_feedback") -> set[str]:
    """`table`'s secondary indexes dropped and recorded as a first load does, by a run that then
    died (the record names a run, so one is made)."""
    with psycopg.connect(url.raw) as conn:
        run = conn.execute(
            "INSERT INTO migration_runs (source_fingerprint, source_kind, source_description) "
            "VALUES ('killed', 'mongodump', 'a killed run') RETURNING id"
        ).fetchone()
        conn.commit()
        assert run is not None
        return set(deferred_indexes.defer(conn, table, int(run[0])))
