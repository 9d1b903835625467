"""`pmo serve` creates the secondary indexes a killed migration load left dropped.

A real `pmo serve` subprocess on a free port over the suite's PostgreSQL; the dropped-and-recorded
state is made the way a killed run leaves it (`deferred_indexes.defer` on the empty table, under
a 'running' migration_runs row). Also: nothing is touched while a migration holds the writer
lock, and an INVALID index left by an interrupted concurrent build counts as missing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest

from pmo_playbook.db.cluster import free_port
from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.load import deferred_indexes
from tests.e2e.migration.test_deferred_indexes import INDEXES, SECONDARY
from tests.e2e.migration.test_exclusive_runs import holding_lock
from tests.support.migration import defer_like_a_killed_run, rows

LEDGER = "SELECT index_name FROM migration_deferred_indexes ORDER BY index_name"


@contextmanager
def serving(url: DatabaseUrl, tmp_path: Path) -> Iterator[Path]:
    """`pmo serve` on a free port, answering /healthz; yields the file of its output."""
    port = free_port()
    out = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MONGODB_URI")}
    env.update({"DATABASE_URL": url.raw, "PMO_DATA_DIR": str(tmp_path / "data")})
    with out.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pmo_playbook", "serve", "--port", str(port)],
            env=env, stdout=sink, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    try:
        _wait_until(lambda: _healthy(f"http://127.0.0.1:{port}/healthz"), 60, proc, out)
        yield out
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _wait_until(check: object, timeout: float, proc: subprocess.Popen[str], out: Path) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"gave up waiting; server output:\n{out.read_text()[-3000:]}")
        time.sleep(0.1)


def test_serve_creates_missing_deferred_indexes_in_the_background(
    tmp_path: Path, db_url: DatabaseUrl
) -> None:
    fresh = rows(db_url, INDEXES, ("message_feedback",))
    assert defer_like_a_killed_run(db_url) == SECONDARY
    assert {name for name, _ in rows(db_url, INDEXES, ("message_feedback",))}.isdisjoint(SECONDARY)
    with serving(db_url, tmp_path) as out:
        deadline = time.monotonic() + 60
        while rows(db_url, INDEXES, ("message_feedback",)) != fresh:
            assert time.monotonic() < deadline, out.read_text()[-3000:]
            time.sleep(0.2)
        _wait_until_text(out, "pmo serve created 5 deferred index(es) again")
    assert rows(db_url, LEDGER) == []  # the records are gone with the rebuild
    valid = (
        "SELECT bool_and(indisvalid) FROM pg_index WHERE indrelid = 'message_feedback'::regclass"
    )
    assert rows(db_url, valid) == [(True,)]
    text = out.read_text()
    for name in SECONDARY:
        assert f"created deferred index {name} again" in text


def _wait_until_text(out: Path, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in out.read_text():
        assert time.monotonic() < deadline, out.read_text()[-3000:]
        time.sleep(0.1)


def test_serve_leaves_them_to_a_running_migration(tmp_path: Path, db_url: DatabaseUrl) -> None:
    assert defer_like_a_killed_run(db_url) == SECONDARY
    # serves at once although the lock is taken
    with holding_lock(db_url, "pmo migrate run") as pid, serving(db_url, tmp_path) as out:
        _wait_until_text(out, "not created by pmo serve")
        time.sleep(1)  # nothing else happens afterwards
        present = {name for name, _ in rows(db_url, INDEXES, ("message_feedback",))}
        assert present.isdisjoint(SECONDARY)
        assert rows(db_url, LEDGER) == [(name,) for name in sorted(SECONDARY)]
    text = out.read_text()
    lines = [line for line in text.splitlines() if "not created by pmo serve" in line]
    assert len(lines) == 1
    assert f"pmo migrate run, server pid {pid}" in lines[0]
    assert "created deferred index" not in text


def test_an_invalid_index_counts_as_missing_and_is_built_again(db_url: DatabaseUrl) -> None:
    """An interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index under the name."""
    fresh = rows(db_url, INDEXES, ("message_feedback",))
    defer_like_a_killed_run(db_url)
    with psycopg.connect(db_url.raw, autocommit=True) as conn:
        for message in ("m-1", "m-2"):  # the same session twice: a unique build fails
            conn.execute(
                "INSERT INTO message_feedback (message_id, session_id, rating, data) "
                "VALUES (%s, 's-1', 'helpful', '{}')",
                (message,),
            )
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                "CREATE UNIQUE INDEX CONCURRENTLY message_feedback_session_idx "
                "ON message_feedback (session_id)"
            )
        invalid = conn.execute(
            "SELECT indisvalid FROM pg_index "
            "WHERE indexrelid = 'message_feedback_session_idx'::regclass"
        ).fetchall()
        assert invalid == [(False,)]
        missing = deferred_indexes.missing(conn)
        assert ("message_feedback_session_idx", "message_feedback") in missing
        assert len(missing) == len(SECONDARY)
        created = deferred_indexes.restore_concurrently(conn)
    assert sorted(created) == sorted(SECONDARY)
    assert rows(db_url, INDEXES, ("message_feedback",)) == fresh
    assert rows(db_url, LEDGER) == []
