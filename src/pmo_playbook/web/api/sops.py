"""`POST /api/sops/regenerate` (legacy §2.7) and the SOP version routes (new).

Versions: list, view one, unified diff of two, roll back (a NEW version with the old content).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from pmo_playbook.errors import BadRequest
from pmo_playbook.services.sop_versions import diff_versions, get_version, list_versions, rollback
from pmo_playbook.services.sops import regenerate_all, regenerate_one
from pmo_playbook.web.api.contract import READ, errors
from pmo_playbook.web.deps import AppSettings, Conn, CurrentActor

router = APIRouter(tags=["sop content"], responses=READ)
MAX_VERSION = 2**31 - 1  # the integer column versions are stored in
Version = Annotated[int, Query(ge=1, le=MAX_VERSION)]
PathVersion = Annotated[int, Path(ge=1, le=MAX_VERSION)]
SopType = Annotated[str, Query(pattern="^(human|agent)$")]


class RegenerateBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sopId: str | None = None
    regenerateAll: bool | None = None


class RollbackBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: Annotated[StrictInt, Field(ge=1, le=MAX_VERSION)]


@router.post("/api/sops/regenerate", responses=errors(409))
def sops_regenerate(
    conn: Conn, actor: CurrentActor, body: Annotated[RegenerateBody, Body()]
) -> dict[str, Any]:
    """Regenerate one agent SOP (200 even when success is false) or all of them."""
    if body.regenerateAll:
        results = regenerate_all(conn, actor)
        ok = sum(1 for r in results if r.success)
        return {
            "success": True,
            "message": f"Regenerated {ok} out of {len(results)} SOPs",
            "details": {
                "totalProcessed": len(results),
                "successful": ok,
                "failed": len(results) - ok,
                "results": [r.to_legacy() for r in results],
            },
        }
    if not body.sopId:
        raise BadRequest("Missing sopId or regenerateAll parameter")
    return regenerate_one(conn, actor, body.sopId).to_legacy()


@router.get("/api/sops/{sopId}/versions")
def sops_versions(
    sopId: str,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    type: SopType = "human",
) -> dict[str, Any]:
    """Recorded versions, newest first (no content)."""
    return list_versions(conn, actor, sopId, type, public_read=settings.public_read)


@router.get("/api/sops/{sopId}/versions/{version}")
def sops_version(
    sopId: str,
    version: PathVersion,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    type: SopType = "human",
) -> dict[str, Any]:
    """One version with its content snapshot."""
    entry = get_version(conn, actor, sopId, version, type, public_read=settings.public_read)
    return {"version": entry}


@router.get("/api/sops/{sopId}/diff")
def sops_diff(
    sopId: str,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    from_: Annotated[int, Query(alias="from", ge=1, le=MAX_VERSION)],
    to: Version,
    type: SopType = "human",
) -> dict[str, Any]:
    """Unified diff from one version to another."""
    return diff_versions(conn, actor, sopId, from_, to, type, public_read=settings.public_read)


@router.post("/api/sops/{sopId}/rollback", responses=errors(409))
def sops_rollback(
    sopId: str, conn: Conn, actor: CurrentActor, body: Annotated[RollbackBody, Body()]
) -> dict[str, Any]:
    """Restore an old version's markdown as a new version (agent SOP regenerated)."""
    outcome = rollback(conn, actor, sopId, body.version)
    return {**outcome.to_legacy(), "rolledBackTo": body.version}
