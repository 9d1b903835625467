"""Health check: the database answers and reports its schema version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from pmo_playbook.repositories.diagnostics import DiagnosticsRepository


@dataclass(frozen=True)
class HealthReport:
    database: str
    schema_version: int | None


def check_health(conn: psycopg.Connection[Any]) -> HealthReport:
    """Ask the database who it is and which migration it is at."""
    repo = DiagnosticsRepository(conn)
    name, _version = repo.identity()
    return HealthReport(database=name, schema_version=repo.schema_version())
