"""GET /healthz: is the database reachable, and at which schema version."""

from __future__ import annotations

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
    )
