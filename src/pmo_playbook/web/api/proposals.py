"""`/api/proposals` and `/api/proposals/{proposalId}` (legacy §2.9, defects fixed)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from pmo_playbook.services.proposals import (
    act_on_proposal,
    archive_proposal,
    create_proposal,
    get_proposal,
    list_proposals,
)
from pmo_playbook.web.api.contract import READ, errors
from pmo_playbook.web.deps import Conn, CurrentActor

router = APIRouter(tags=["proposals"], responses=READ)
JsonObject = Annotated[dict[str, Any], Body()]


@router.get("/api/proposals")
def proposals_list(
    conn: Conn,
    actor: CurrentActor,
    status: str | None = None,
    priority: str | None = None,
    sopId: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """Proposals by priority rank, confidence, newest; `humanSopId` populated."""
    return list_proposals(
        conn, actor, status=status, priority=priority, sop_id=sopId, limit=limit, skip=skip
    )


@router.post("/api/proposals", status_code=201, responses=errors(409))
def proposals_create(conn: Conn, actor: CurrentActor, body: JsonObject) -> JSONResponse:
    """File a proposal; a similar pending one from the last 24 hours is updated instead (200)."""
    proposal, is_update, similar = create_proposal(conn, actor, body)
    if is_update:
        content = {
            "proposal": proposal,
            "isUpdate": True,
            "message": "Updated existing similar proposal metrics",
        }
        return JSONResponse(status_code=200, content=content)
    content = {"proposal": proposal, "isUpdate": False, "similarCount": similar}
    return JSONResponse(status_code=201, content=content)


@router.get("/api/proposals/{proposalId}")
def proposals_get(proposalId: str, conn: Conn, actor: CurrentActor) -> dict[str, Any]:
    """One proposal with its SOP's title, version and markdown."""
    return {"proposal": get_proposal(conn, actor, proposalId)}


@router.patch("/api/proposals/{proposalId}", responses=errors(409))
def proposals_patch(
    proposalId: str, conn: Conn, actor: CurrentActor, body: JsonObject
) -> dict[str, Any]:
    """approve | reject (reason) | review | implement | archive, with transition guards."""
    proposal, message = act_on_proposal(conn, actor, proposalId, body)
    return {"proposal": proposal, "message": message}


@router.delete("/api/proposals/{proposalId}", responses=errors(409))
def proposals_delete(proposalId: str, conn: Conn, actor: CurrentActor) -> dict[str, Any]:
    """Archive a proposal."""
    proposal, message = archive_proposal(conn, actor, proposalId)
    return {"proposal": proposal, "message": message}
