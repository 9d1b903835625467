"""Health check: the database answers, its schema version, and the cut-over lag per module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from pmo_playbook.repositories.diagnostics import DiagnosticsRepository
from pmo_playbook.sync.ownership import module_status


@dataclass(frozen=True)
class HealthReport:
    database: str
    schema_version: int | None
    cutover: list[dict[str, Any]] | None = None  # per module during a cut-over (None: none)


def check_health(conn: psycopg.Connection[Any]) -> HealthReport:
    """Ask the database who it is and which migration it is at."""
    repo = DiagnosticsRepository(conn)
    name, _version = repo.identity()
    modules = module_status(conn)
    return HealthReport(
        database=name,
        schema_version=repo.schema_version(),
        cutover=[m.as_json() for m in modules] or None,
    )
