"""One migration writer at a time per database (migration/exclusive.py), real PostgreSQL.

A second `migrate()` while a first run is paused mid-load (its source blocks on an Event inside
the run guard's reader thread), while a test session holds the lock, the CLI's exit 2, the
quarantine retry, the transaction-pooler branch, and a run right after a SIGKILL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from pmo_playbook.db import schema
from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.errors import MigrationInProgress
from pmo_playbook.migration.load import deferred_indexes
from pmo_playbook.migration.load.exclusive import WRITER_LOCK_KEY, exclusive_writer, lock_applies
from pmo_playbook.migration.load.loader import LoadOptions
from pmo_playbook.migration.load.report import RunReport
from pmo_playbook.migration.load.retry import retry
from pmo_playbook.migration.load.run import migrate
from tests.e2e.migration.paused_run import paused_run
from tests.e2e.migration.test_deferred_indexes import INDEXES, SECONDARY
from tests.e2e.migration.test_resume_and_failures import _feedback, kill_mid_load
from tests.support.cli import run_pmo
from tests.support.migration import defer_like_a_killed_run, rows, source, write_dump
from tests.support.pg import TestServer
from tests.support.pgbouncer import direct

REFUSED = "another migration is writing to this database"


def _state(url: DatabaseUrl) -> tuple[list[Any], ...]:
    """What a run writes: runs, checkpoints, rows, quarantine, deferred-index ledger."""
    return (
        rows(url, "SELECT id, status, source_fingerprint, finished_at FROM migration_runs "
                  "ORDER BY id"),
        rows(url, "SELECT run_id, collection, next_index, read, done, updated_at "
                  "FROM migration_checkpoints ORDER BY run_id, collection"),
        rows(url, "SELECT count(*), max(updated_at) FROM message_feedback"),
        rows(url, "SELECT id, reason FROM migration_quarantine ORDER BY id"),
        rows(url, "SELECT index_name FROM migration_deferred_indexes ORDER BY index_name"),
    )  # fmt: skip


@contextmanager
def holding_lock(url: DatabaseUrl, name: str = "test holder") -> Iterator[int]:
    """A test session holding the writer lock; yields its server pid."""
    # On the direct endpoint, as a migration runs (PgBouncer's own pids are not the server's).
    with psycopg.connect(direct(url).raw, autocommit=True, application_name=name) as conn:
        got = conn.execute("SELECT pg_try_advisory_lock(%s)", (WRITER_LOCK_KEY,)).fetchone()
        assert got == (True,)
        yield conn.info.backend_pid


def test_the_lock_key_is_the_documented_constant() -> None:
    assert WRITER_LOCK_KEY == int.from_bytes(b"pmo_migr", "big") == 0x706D6F5F6D696772
    assert WRITER_LOCK_KEY != schema._LOCK_KEY
    assert -(2**63) <= WRITER_LOCK_KEY < 2**63


@pytest.mark.parametrize(
    ("raw", "applies"),
    [
        ("postgresql://u:p@db.example.org:5432/pmo", True),
        ("postgresql://u:p@ep-cool-name-123456.eu-central-1.aws.neon.tech/pmo", True),
        ("postgresql://u:p@ep-cool-name-123456-pooler.eu-central-1.aws.neon.tech/pmo", False),
        ("postgresql://u:p@pgbouncer.internal:6432/pmo", False),
        ("host=pgbouncer.internal port=6432 dbname=pmo user=u", False),
    ],
)
def test_the_lock_is_skipped_only_behind_a_transaction_pooler(raw: str, applies: bool) -> None:
    assert lock_applies(DatabaseUrl.parse(raw)) is applies


def _as_neon_pooler(url: DatabaseUrl) -> DatabaseUrl:
    """The same server under a Neon-style `-pooler` host name (hostaddr skips the DNS lookup),
    so it is taken for a transaction pooler."""
    params = direct(url).params
    return DatabaseUrl(
        make_conninfo(
            host="ep-test-pooler.invalid",
            hostaddr="127.0.0.1",
            port=params["port"],
            dbname=params["dbname"],
            user=params["user"],
            password=params["password"],
        )
    )


def test_through_a_pooler_no_lock_is_taken_and_it_warns_once(
    db_url: DatabaseUrl, caplog: pytest.LogCaptureFixture
) -> None:
    pooled = _as_neon_pooler(db_url)
    assert not lock_applies(pooled)
    with caplog.at_level(logging.WARNING), exclusive_writer(pooled, "test") as lock:
        assert lock.conn is None
        assert rows(db_url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == [(0,)]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "transaction pooler" in warnings[0] and "direct endpoint" in warnings[0]


def test_through_a_pooler_a_lock_held_on_the_direct_endpoint_is_respected(
    db_url: DatabaseUrl,
) -> None:
    pooled = _as_neon_pooler(db_url)
    with (
        holding_lock(db_url, "run on the direct endpoint") as pid,
        pytest.raises(MigrationInProgress) as refused,
        exclusive_writer(pooled, "test"),
    ):
        pass
    assert "run on the direct endpoint" in refused.value.message
    assert f"server pid {pid}" in refused.value.message


def test_migrate_and_retry_are_refused_while_another_session_holds_the_lock(
    tmp_path: Path, db_url: DatabaseUrl
) -> None:
    dump = write_dump(tmp_path / "dump", {"message_feedback": _feedback(300)})
    assert migrate(db_url, source(dump), LoadOptions(batch_size=100)).ok
    run_id = rows(db_url, "SELECT id FROM migration_runs")[0][0]
    with psycopg.connect(db_url.raw) as conn:  # what a killed load leaves (restored by a run)
        dropped = deferred_indexes.defer(conn, "user_feedback", run_id)
    assert dropped
    before = _state(db_url)
    with holding_lock(db_url) as pid:
        with pytest.raises(MigrationInProgress) as refused:
            migrate(db_url, source(dump), LoadOptions(batch_size=100))
        message = refused.value.message
        assert message.startswith(REFUSED)
        assert "test holder" in message and f"server pid {pid}" in message
        assert "\n" not in message
        with pytest.raises(MigrationInProgress, match=REFUSED):
            retry(db_url, None)
        assert _state(db_url) == before  # no run row, no checkpoint, indexes not restored
    again = migrate(db_url, source(dump), LoadOptions(batch_size=100))  # released: works
    assert again.ok and not again.changed
    assert len(rows(db_url, "SELECT id FROM migration_runs")) == 2
    assert rows(db_url, "SELECT count(*) FROM migration_deferred_indexes") == [(0,)]


# The run itself must hold the lock, which it can only on the direct endpoint.
@pytest.mark.direct_connection
def test_a_second_run_of_the_same_source_is_refused_while_the_first_is_loading(
    tmp_path: Path, db_url: DatabaseUrl
) -> None:
    with paused_run(tmp_path, db_url) as first:
        before = _state(db_url)
        run_id = before[0][0][0]
        held = rows(
            db_url,
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
            "WHERE l.locktype = 'advisory' AND l.classid = 1886220127 "
            "AND l.objid = 1835624306 AND l.objsubid = 1 AND l.granted",
        )
        assert held == [(f"pmo migrate run #{run_id}",)]  # the documented pg_locks view
        with pytest.raises(MigrationInProgress) as refused:
            migrate(db_url, source(first.dump), LoadOptions(batch_size=500))
        message = refused.value.message
        assert message.startswith(f"{REFUSED} (pmo migrate run #{run_id}, server pid ")
        assert f"source {first.source.description})" in message
        assert _state(db_url) == before
        report = first.finish()
    assert isinstance(report, RunReport) and report.ok, report
    assert report.quarantined == 0  # no `_id` taken for a duplicate by a second writer
    assert rows(db_url, "SELECT count(*), count(DISTINCT legacy_id) FROM message_feedback") == [
        (2000, 2000)
    ]
    after = migrate(db_url, source(first.dump), LoadOptions(batch_size=500))  # lock released
    assert after.ok and not after.changed


def test_the_cli_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, db_url: DatabaseUrl, env_for: dict[str, str]
) -> None:
    dump = write_dump(tmp_path / "dump", {"message_feedback": _feedback(50)})
    with holding_lock(db_url, "another pmo") as pid:
        done = run_pmo("migrate", "run", "--from", str(dump), env=env_for)
        assert done.returncode == 2, done.stdout + done.stderr
        lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        assert len(lines) == 1
        assert REFUSED in lines[0] and f"another pmo, server pid {pid}" in lines[0]
        assert rows(db_url, "SELECT count(*) FROM migration_runs") == [(0,)]
        assert rows(db_url, "SELECT count(*) FROM migration_checkpoints") == [(0,)]
        assert rows(db_url, "SELECT count(*) FROM message_feedback") == [(0,)]
    done = run_pmo("migrate", "run", "--from", str(dump), env=env_for)
    assert done.returncode == 0, done.stdout + done.stderr
    assert rows(db_url, "SELECT count(*) FROM message_feedback") == [(50,)]


def test_a_run_right_after_a_sigkill_is_not_refused(
    tmp_path: Path, db_url: DatabaseUrl, env_for: dict[str, str]
) -> None:
    total = 30000
    dump, _ = kill_mid_load(tmp_path, db_url, env_for, total)
    report = migrate(db_url, source(dump))  # in-process, at once: the lock died with the run
    assert report.ok and report.resumed
    assert rows(db_url, "SELECT count(*), count(DISTINCT legacy_id) FROM message_feedback") == [
        (total, total)
    ]


def test_the_lock_query_and_a_concurrent_restore_work_on_postgres_15(pg15: TestServer) -> None:
    """pg_locks / pg_stat_activity / pg_index as read here exist alike on PostgreSQL 15."""
    url = pg15.url(pg15.create_database())
    with psycopg.connect(url.raw, autocommit=True) as conn:
        assert conn.info.server_version // 10000 == 15
        schema.apply_migrations(conn)
        fresh = conn.execute(INDEXES, ("message_feedback",)).fetchall()
    assert defer_like_a_killed_run(url) == SECONDARY
    with holding_lock(url, "pg15 holder") as pid, pytest.raises(MigrationInProgress) as refused:
        retry(url, None)
    assert f"{REFUSED} (pg15 holder, server pid {pid}, connected " in refused.value.message
    with psycopg.connect(url.raw, autocommit=True) as conn:
        assert sorted(deferred_indexes.restore_concurrently(conn)) == sorted(SECONDARY)
        assert conn.execute(INDEXES, ("message_feedback",)).fetchall() == fresh
