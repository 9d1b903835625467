"""The seed's Phase 1 checkpoint: connect, create a temp table, write and read JSONB, clean up."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import psycopg

from pmo_playbook.db.connect import connect
from pmo_playbook.db.url import DatabaseUrl, redact
from pmo_playbook.errors import PmoError
from pmo_playbook.repositories.diagnostics import DiagnosticsRepository

PROBE_VALUE = "PostgreSQL JSONB working"


@dataclass(frozen=True)
class CheckStep:
    """One step of the check and how it went."""

    name: str
    ok: bool
    message: str


def run_db_check(url: DatabaseUrl, *, connect_timeout: float = 10.0) -> Iterator[CheckStep]:
    """Yield one CheckStep per step; stop at the first failure. Leaves nothing behind."""
    try:
        conn = connect(url, autocommit=False, connect_timeout=connect_timeout)
    except PmoError as exc:
        yield CheckStep("connect", False, exc.message)
        return
    with conn:
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
