"""Deferred secondary indexes of a first load: dropped, recorded, and always created again.

A real `pmo migrate run` subprocess killed with SIGKILL mid-load (real PostgreSQL of the suite),
a run failing on a truncated dump, and a table that already holds rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.load import deferred_indexes
from pmo_playbook.migration.load.loader import LoadOptions
from pmo_playbook.migration.load.run import migrate
from pmo_playbook.migration.sources.base import (
    ResumePoint,
    Source,
    SourceCollection,
    SourceDocument,
    SourceError,
)
from tests.e2e.migration.test_resume_and_failures import _feedback, kill_mid_load
from tests.support.cli import run_pmo
from tests.support.migration import defer_like_a_killed_run, rows, source, write_dump

INDEXES = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname"
SECONDARY = {  # written from 0001_initial.sql, not from the code under test
    "message_feedback_confidence_rating_idx",
    "message_feedback_created_idx",
    "message_feedback_data_gin",
    "message_feedback_session_idx",
    "message_feedback_sop_rating_idx",
}


def _ledger(url: DatabaseUrl) -> list[tuple[str, str, str]]:
    return rows(
        url,
        "SELECT index_name, table_name, definition FROM migration_deferred_indexes "
        "ORDER BY index_name",
    )


def test_killed_first_load_leaves_the_indexes_recorded_and_the_next_run_creates_them(
    tmp_path: Path, db_url: DatabaseUrl, env_for: dict[str, str]
) -> None:
    fresh = rows(db_url, INDEXES, ("message_feedback",))  # the freshly migrated schema's
    assert {name for name, _ in fresh} >= SECONDARY
    total = 30000  # above the default threshold (loader.DEFER_INDEXES_MIN = 20000)
    dump, _ = kill_mid_load(tmp_path, db_url, env_for, total)
    loaded = rows(db_url, "SELECT count(*) FROM message_feedback")[0][0]
    assert 0 < loaded < total
    present = {name for name, _ in rows(db_url, INDEXES, ("message_feedback",))}
    assert present.isdisjoint(SECONDARY)  # the secondary indexes were dropped for the load
    assert {"message_feedback_pkey", "message_feedback_legacy_id_key"} <= present
    definitions = dict(fresh)
    assert _ledger(db_url) == [
        (name, "message_feedback", definitions[name]) for name in sorted(SECONDARY)
    ]
    status = run_pmo("db", "status", env=env_for)
    for name in SECONDARY:
        assert f"missing  index {name} on message_feedback" in status.stdout

    again = run_pmo("migrate", "run", "--from", str(dump), env=env_for)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Resumed run" in again.stdout
    assert rows(db_url, INDEXES, ("message_feedback",)) == fresh  # identical definitions
    assert _ledger(db_url) == []
    assert "missing  index" not in run_pmo("db", "status", env=env_for).stdout
    assert rows(db_url, "SELECT count(*), count(DISTINCT legacy_id) FROM message_feedback") == [
        (total, total)
    ]
    checked = run_pmo("migrate", "verify", "--from", str(dump), env=env_for)
    assert checked.returncode == 0, checked.stdout


class _FailsAfter:
    """A real mongodump source whose reading fails after `n` documents (as a dropped link)."""

    def __init__(self, inner: Source, n: int) -> None:
        self.inner, self.n = inner, n
        self.kind, self.description = inner.kind, inner.description

    def collections(self) -> list[SourceCollection]:
        return self.inner.collections()

    def documents(
        self, collection: str, resume: ResumePoint | None = None
    ) -> Iterator[SourceDocument]:
        for i, doc in enumerate(self.inner.documents(collection, resume)):
            if i == self.n:
                raise SourceError(f"{collection}: connection lost at document {i}")
            yield doc

    def close(self) -> None:
        self.inner.close()


def test_a_failed_first_load_creates_the_indexes_again(
    tmp_path: Path, db_url: DatabaseUrl, caplog: pytest.LogCaptureFixture
) -> None:
    fresh = rows(db_url, INDEXES, ("message_feedback",))
    dump = write_dump(tmp_path / "dump", {"message_feedback": _feedback(1200)})
    failing = _FailsAfter(source(dump), 1100)
    with caplog.at_level(logging.WARNING), pytest.raises(SourceError, match="connection lost"):
        migrate(db_url, failing, LoadOptions(batch_size=500, defer_indexes_min=100))
    assert "created 5 deferred index(es) again" in caplog.text  # cleanup
    assert rows(db_url, "SELECT count(*) FROM message_feedback")[0][0] == 1000  # 2 batches
    assert rows(db_url, INDEXES, ("message_feedback",)) == fresh
    assert _ledger(db_url) == []
    assert rows(db_url, "SELECT status FROM migration_runs") == [("failed",)]


def test_a_table_holding_rows_keeps_its_indexes(tmp_path: Path, db_url: DatabaseUrl) -> None:
    dump = write_dump(tmp_path / "dump", {"message_feedback": _feedback(300)})
    report = migrate(db_url, source(dump), LoadOptions(batch_size=100, defer_indexes_min=1))
    assert report.ok
    assert _ledger(db_url) == []
    with psycopg.connect(db_url.raw) as conn:
        assert deferred_indexes.defer(conn, "message_feedback", report.run_id) == []
    assert {name for name, _ in rows(db_url, INDEXES, ("message_feedback",))} >= SECONDARY


def test_recorded_indexes_are_created_by_the_next_run_even_of_another_source(
    tmp_path: Path, db_url: DatabaseUrl
) -> None:
    fresh = rows(db_url, INDEXES, ("message_feedback",))
    assert defer_like_a_killed_run(db_url) == SECONDARY
    dump = write_dump(tmp_path / "dump", {"projects": []})
    assert migrate(db_url, source(dump)).ok
    assert rows(db_url, INDEXES, ("message_feedback",)) == fresh
    assert _ledger(db_url) == []
