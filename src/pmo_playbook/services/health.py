"""Health check: the database answers and reports its schema version; the chat's retrieval
mode (hybrid, or full-text only and why)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from pmo_playbook.ai.embeddings import availability
from pmo_playbook.repositories.diagnostics import DiagnosticsRepository


@dataclass(frozen=True)
class HealthReport:
    database: str
    schema_version: int | None
    retrieval: str  # "hybrid" | "full-text"
    retrieval_detail: str


def check_health(conn: psycopg.Connection[Any]) -> HealthReport:
    """Ask the database who it is and which migration it is at."""
    repo = DiagnosticsRepository(conn)
    name, _version = repo.identity()
    mode, detail = retrieval_mode()
    return HealthReport(name, repo.schema_version(), mode, detail)


def retrieval_mode() -> tuple[str, str]:
    """("hybrid" | "full-text", what runs or why semantic retrieval is off)."""
    state = availability()
    return ("hybrid", state.reason) if state.active else ("full-text", state.reason)
