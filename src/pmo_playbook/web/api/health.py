"""GET /healthz: is the database reachable, and at which schema version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from pmo_playbook.services.health import check_health
from pmo_playbook.web.api.contract import errors
from pmo_playbook.web.deps import Conn

router = APIRouter(tags=["health"], responses=errors(503))


class Health(BaseModel):
    """Health of the service."""

    status: str
    database: str
    schemaVersion: int | None
    retrieval: str
    retrievalDetail: str
    # During a cut-over: per module owner, lag_seconds, pending writes to MongoDB, verify.
    cutover: list[dict[str, Any]] | None = None


@router.get("/healthz", response_model=Health)
def healthz(conn: Conn) -> Health:
    """Database reachable and schema version (503 in the error envelope when not)."""
    report = check_health(conn)
    return Health(
        status="ok",
        database=report.database,
        schemaVersion=report.schema_version,
        retrieval=report.retrieval,
        retrievalDetail=report.retrieval_detail,
        cutover=report.cutover,
    )
