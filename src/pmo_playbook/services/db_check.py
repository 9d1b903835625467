"""The seed's Phase 1 checkpoint: on a connection, create a temp table, write and read JSONB,
clean up. The caller (the CLI edge) opens and closes the connection; a failed connect is its
own "connect" step there."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg

from pmo_playbook.db.url import redact
from pmo_playbook.repositories.diagnostics import DiagnosticsRepository

PROBE_VALUE = "PostgreSQL JSONB working"


@dataclass(frozen=True)
class CheckStep:
    """One step of the check and how it went."""

    name: str
    ok: bool
    message: str


def run_db_check(conn: psycopg.Connection[Any]) -> Iterator[CheckStep]:
    """Yield one CheckStep per step on `conn` (not autocommit); stop at the first failure.
    Leaves nothing behind: the probe table is temporary and the transaction is rolled back."""
    repo = DiagnosticsRepository(conn)
    name, version = repo.identity()
    yield CheckStep("connect", True, f"Connected to database {name} (PostgreSQL {version})")
    steps = (
        ("create temporary table", repo.create_probe_table, "Created temporary table"),
        ("insert JSONB", lambda: repo.insert_probe(PROBE_VALUE), "Inserted a JSONB value"),
    )
    try:
        for step_name, action, message in steps:
            current = step_name
            action()
            yield CheckStep(step_name, True, message)
        current = "read JSONB"
        value = repo.read_probe()
        if value != PROBE_VALUE:
            yield CheckStep(current, False, f"read back {value!r}, expected {PROBE_VALUE!r}")
            return
        yield CheckStep(current, True, f"Read data->>'test' back: {value!r}")
        current = "clean up"
        repo.drop_probe_table()
        conn.rollback()
        yield CheckStep(current, True, "Cleaned up (temporary table dropped)")
    except psycopg.Error as exc:
        yield CheckStep(current, False, redact(str(exc).strip().splitlines()[0]))
