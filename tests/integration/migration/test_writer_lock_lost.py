"""A run whose writer-lock session dies stops after its last committed batch, and resumes.

Source: a real mongodump written with the official `bson` codec, paused mid-load by a wrapper;
the lock's session is ended with pg_terminate_backend on the test's real PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pmo_playbook.db.connect import connect, connection_kwargs
from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.load import exclusive
from pmo_playbook.migration.load.exclusive import WriterLockLost
from pmo_playbook.migration.load.loader import LoadOptions
from pmo_playbook.migration.load.run import migrate
from tests.e2e.migration.paused_run import paused_run, wait_for
from tests.e2e.migration.test_exclusive_runs import holding_lock
from tests.support.migration import execute, rows, source

LOCK_PID = (
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = 1886220127 "
    "AND objid = 1835624306 AND objsubid = 1 AND granted"
)


def test_a_run_stops_when_its_lock_session_ends_and_the_next_run_resumes(
    tmp_path: Path, db_url: DatabaseUrl, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exclusive, "HEARTBEAT_SECONDS", 0.0)  # check after every batch
    with paused_run(tmp_path, db_url) as first:  # batch 1 committed, batch 2 read
        ((pid,),) = rows(db_url, LOCK_PID)
        execute(db_url, "SELECT pg_terminate_backend(%s)", (pid,))
        wait_for(lambda: rows(db_url, LOCK_PID) == [])
        with holding_lock(db_url, "a second writer"):  # what the lost lock would let in
            outcome = first.finish()
            assert isinstance(outcome, WriterLockLost), outcome
            assert "lost its writer lock" in outcome.message and "resume" in outcome.message
            # It stopped right after the batch it was committing: no later batch was written.
            assert rows(db_url, "SELECT next_index FROM migration_checkpoints") == [(1000,)]
            assert rows(db_url, "SELECT count(*) FROM message_feedback") == [(1000,)]
            assert rows(db_url, "SELECT status FROM migration_runs") == [("failed",)]
    again = migrate(db_url, source(first.dump), LoadOptions(batch_size=500))
    assert again.ok and again.resumed
    assert rows(db_url, "SELECT count(*), count(DISTINCT legacy_id) FROM message_feedback") == [
        (2000, 2000)
    ]


@pytest.mark.parametrize(
    ("raw", "idle"),
    [
        ("postgresql://u:p@db.example.org/pmo", 30),
        ("postgresql://u:p@db.example.org/pmo?keepalives_idle=5", None),  # the URL's own wins
    ],
)
def test_connections_keep_tcp_keepalives_unless_the_url_sets_them(
    raw: str, idle: int | None
) -> None:
    kwargs = connection_kwargs(DatabaseUrl.parse(raw))
    assert kwargs["keepalives"] == 1
    assert kwargs.get("keepalives_idle") == idle


def test_a_real_connection_carries_the_keepalives(db_url: DatabaseUrl) -> None:
    with connect(db_url) as conn:
        params = conn.info.get_parameters()
    assert (params["keepalives"], params["keepalives_idle"]) == ("1", "30")
