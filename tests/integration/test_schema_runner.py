"""The migration runner against a real PostgreSQL: head, no-op, edits refused, dry run, lock."""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest

from pmo_playbook.db import schema
from pmo_playbook.db.url import DatabaseUrl
from tests.support.pg import APPLICATION_TABLES


def _tables(conn: psycopg.Connection[Any]) -> set[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    ).fetchall()
    return {r[0] for r in rows}


def test_runner_empty_to_head(empty_db_url: DatabaseUrl) -> None:
    with psycopg.connect(empty_db_url.raw, autocommit=True) as conn:
        result = schema.apply_migrations(conn)
        assert [m.version for m in result.pending] == [
            m.version for m in schema.discover_migrations()
        ]
        assert _tables(conn) >= APPLICATION_TABLES
        applied = schema.applied_migrations(conn)
        assert [a.version for a in applied] == [m.version for m in schema.discover_migrations()]
        assert all(
            a.checksum == m.checksum
            for a, m in zip(applied, schema.discover_migrations(), strict=True)
        )
        created_tables = {o.name for o in result.created if o.kind == "table"}
        assert created_tables >= APPLICATION_TABLES
        assert any(o.kind == "trigger" and o.table == "projects" for o in result.created)


def test_runner_second_run_is_noop(empty_db_url: DatabaseUrl) -> None:
    with psycopg.connect(empty_db_url.raw, autocommit=True) as conn:
        schema.apply_migrations(conn)
        before = schema.applied_migrations(conn)
        again = schema.apply_migrations(conn)
        assert again.pending == []
        assert again.created == []
        assert schema.applied_migrations(conn) == before


def test_runner_refuses_edited_applied_migration(empty_db_url: DatabaseUrl) -> None:
    with psycopg.connect(empty_db_url.raw, autocommit=True) as conn:
        schema.apply_migrations(conn)
        conn.execute("UPDATE schema_migrations SET checksum = 'deadbeef' WHERE version = 1")
        with pytest.raises(schema.MigrationError, match="edited after it was applied"):
            schema.apply_migrations(conn)


def test_runner_dry_run_executes_nothing(empty_db_url: DatabaseUrl) -> None:
    with psycopg.connect(empty_db_url.raw, autocommit=True) as conn:
        result = schema.apply_migrations(conn, dry_run=True)
        assert result.dry_run
        assert len(result.pending) == len(schema.discover_migrations())
        assert _tables(conn) == set()  # not even the ledger


def test_runner_two_at_once_apply_each_migration_once(empty_db_url: DatabaseUrl) -> None:
    results: list[schema.ApplyResult] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            with psycopg.connect(empty_db_url.raw, autocommit=True) as conn:
                barrier.wait()
                results.append(schema.apply_migrations(conn))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    applied_counts = sorted(len(r.pending) for r in results)
    assert applied_counts == [0, len(schema.discover_migrations())]
    with psycopg.connect(empty_db_url.raw) as conn:
        rows = conn.execute(
            "SELECT version, count(*) FROM schema_migrations GROUP BY version"
        ).fetchall()
        assert all(count == 1 for _, count in rows)


def test_drop_schema_dry_run_then_drop(db_url: DatabaseUrl) -> None:
    with psycopg.connect(db_url.raw, autocommit=True) as conn:
        listed = schema.drop_schema(conn, dry_run=True)
        assert ("TABLE", "projects") in listed
        assert _tables(conn) >= APPLICATION_TABLES
        schema.drop_schema(conn)
        assert _tables(conn) == set()
        schema.apply_migrations(conn)
        assert _tables(conn) >= APPLICATION_TABLES
