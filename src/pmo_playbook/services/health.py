"""Health check: the database answers, its schema version, the cut-over lag per module, and the
chat's retrieval mode (hybrid, or full-text only and why)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from pmo_playbook.ai.embeddings import availability
from pmo_playbook.repositories.diagnostics import DiagnosticsRepository
from pmo_playbook.sync.ownership import module_status


@dataclass(frozen=True)
class HealthReport:
    database: str
    schema_version: int | None
    retrieval: str  # "hybrid" | "full-text"
    retrieval_detail: str
    cutover: list[dict[str, Any]] | None = None  # per module during a cut-over (None: none)


def check_health(conn: psycopg.Connection[Any]) -> HealthReport:
    """Ask the database who it is and which migration it is at."""
    repo = DiagnosticsRepository(conn)
    name, _version = repo.identity()
    mode, detail = retrieval_mode()
    modules = module_status(conn)
    return HealthReport(
        database=name,
        schema_version=repo.schema_version(),
        retrieval=mode,
        retrieval_detail=detail,
        cutover=[m.as_json() for m in modules] or None,
    )


def retrieval_mode() -> tuple[str, str]:
    """("hybrid" | "full-text", what runs or why semantic retrieval is off)."""
    state = availability()
    return ("hybrid", state.reason) if state.active else ("full-text", state.reason)
