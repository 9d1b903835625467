"""`/api/proposals` and `/api/proposals/{proposalId}` (legacy §2.9, defects fixed)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from pmo_playbook.documents.chat import SOP_ID_PATTERN
from pmo_playbook.documents.proposals import CHANGE_TYPES, PROPOSAL_PRIORITIES, PROPOSAL_STATUSES
from pmo_playbook.services.proposal_rules import TRANSITIONS
from pmo_playbook.services.proposals import (
    act_on_proposal,
    archive_proposal,
    create_proposal,
    get_proposal,
    list_proposals,
)
from pmo_playbook.web.api.contract import NON_BLANK, READ, errors, json_body
from pmo_playbook.web.deps import Conn, CurrentActor

router = APIRouter(tags=["proposals"], responses=READ)
JsonObject = Annotated[dict[str, Any], Body()]


class ProposedChangeDoc(BaseModel):
    """`proposedChange` as the service checks it (texts default to "")."""

    section: str = Field(pattern=NON_BLANK)
    originalContent: str = ""
    suggestedContent: str = ""
    rationale: str = ""
    changeType: Any = Field(
        default=None,
        description="Absent, null or empty: clarification",
        json_schema_extra={"enum": [*CHANGE_TYPES, "", None]},
    )


class ConfidenceDoc(BaseModel):
    confidenceScore: float = Field(default=0.7, ge=0, le=1)


class ProposalPostDoc(BaseModel):
    """POST body (documentation: the route reads a plain object and answers a missing
    required field with the legacy 400)."""

    sopId: str = Field(pattern=SOP_ID_PATTERN)
    triggerQuery: str = Field(min_length=1)
    proposedChange: ProposedChangeDoc
    conversationContext: Any = None
    metrics: ConfidenceDoc | None = None
    priority: Any = Field(default=None, json_schema_extra={"enum": [*PROPOSAL_PRIORITIES, None]})
    sourceFeedbackId: Any = None


_ACTIONS_WITHOUT_REASON = [a for a in TRANSITIONS if a != "reject"]
_NOTE = {"type": ["string", "null"]}
# PATCH body: `reject` needs a non-blank reason, the other actions none.
_PATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "anyOf": [
                        {
                            "type": "object",
                            "required": ["action"],
                            "properties": {
                                "action": {"enum": _ACTIONS_WITHOUT_REASON},
                                "comments": _NOTE,
                                "reason": _NOTE,
                            },
                        },
                        {
                            "type": "object",
                            "required": ["action", "reason"],
                            "properties": {
                                "action": {"const": "reject"},
                                "comments": _NOTE,
                                "reason": {"type": "string", "pattern": NON_BLANK},
                            },
                        },
                    ]
                }
            }
        },
    }
}


@router.get("/api/proposals")
def proposals_list(
    conn: Conn,
    actor: CurrentActor,
    status: Annotated[
        str | None, Query(json_schema_extra={"enum": list(PROPOSAL_STATUSES)})
    ] = None,
    priority: Annotated[
        str | None, Query(json_schema_extra={"enum": list(PROPOSAL_PRIORITIES)})
    ] = None,
    sopId: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """Proposals by priority rank, confidence, newest; `humanSopId` populated."""
    return list_proposals(
        conn, actor, status=status, priority=priority, sop_id=sopId, limit=limit, skip=skip
    )


@router.post(
    "/api/proposals",
    status_code=201,
    responses=errors(409),
    openapi_extra=json_body(ProposalPostDoc),
)
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


@router.patch("/api/proposals/{proposalId}", responses=errors(409), openapi_extra=_PATCH_BODY)
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
