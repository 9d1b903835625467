"""`GET /api/files-db?type=markdown|all|agent` (legacy §2.6)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pmo_playbook.errors import BadRequest
from pmo_playbook.services.sops import list_agent_sops, list_human_sops
from pmo_playbook.web.api.contract import READ
from pmo_playbook.web.deps import AppSettings, Conn, CurrentActor

router = APIRouter(tags=["sop content"], responses=READ)


@router.get("/api/files-db")
def files_get(
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    type: str = "all",
) -> dict[str, Any]:
    """The SOP list the tabs and the admin pages read."""
    if type in ("markdown", "all"):
        rows = list_human_sops(conn, actor, public_read=settings.public_read)
        names = [f"{r.sop_id} - {r.title}" for r in rows]
        sops = [
            {
                "id": r.sop_id,
                "filename": f"{r.sop_id} - {r.title}",
                "title": r.title,
                "phase": r.phase,
            }
            for r in rows
        ]
        return {"files": names, "sops": sops}
    if type == "agent":
        agents = list_agent_sops(conn, actor, public_read=settings.public_read)
        return {
            "sops": [
                {
                    "id": a.sop_id,
                    "title": a.title,
                    "phase": a.phase,
                    "summary": a.data.get("summary"),
                    "keywords": a.data.get("keywords") or [],
                }
                for a in agents
            ]
        }
    raise BadRequest("Invalid type parameter")
