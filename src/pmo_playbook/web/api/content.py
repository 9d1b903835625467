"""`/api/content-db`: read, edit and create SOPs (legacy §2.5; POST and agent listing added)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from pmo_playbook.documents.common import to_iso
from pmo_playbook.errors import BadRequest
from pmo_playbook.services.sops import (
    create_sop,
    edit_sop,
    get_agent_sop,
    get_human_sop,
    list_agent_sops,
    list_human_sops,
)
from pmo_playbook.web.api.contract import READ, errors
from pmo_playbook.web.deps import AppSettings, Conn, CurrentActor, ReadConn
from pmo_playbook.web.responses import JsonResponse

router = APIRouter(tags=["sop content"], responses=READ)
JsonObject = Annotated[dict[str, Any], Body()]


@router.get("/api/content-db", response_model=None)
def content_get(
    conn: ReadConn,
    actor: CurrentActor,
    settings: AppSettings,
    sopId: str | None = None,
    type: str = "human",
    all: str | None = None,
) -> JsonResponse:
    """`all=true`, or no `sopId` at all, lists (human or agent); otherwise one SOP by `sopId`
    and `type` (the seed's own system test reads the bare `/api/content-db` as the list)."""
    return JsonResponse(_content(conn, actor, settings.public_read, sopId, type, all))


def _content(
    conn: Any, actor: Any, public: bool, sopId: str | None, type: str, all: str | None
) -> dict[str, Any]:
    if all == "true" or (sopId is None and all is None):
        if type == "human":
            rows = list_human_sops(conn, actor, public_read=public)
            return {"sops": [_human_item(r.to_legacy()) for r in rows]}
        if type == "agent":
            agents = list_agent_sops(conn, actor, public_read=public)
            return {"sops": [_agent_item(a.ai_context(), a.version, a.updated_at) for a in agents]}
        raise BadRequest("Invalid type parameter")
    if not sopId:
        raise BadRequest("Missing sopId parameter")
    if type == "human":
        human = get_human_sop(conn, actor, sopId, public_read=public)
        return {
            "content": human.markdown,
            "title": human.title,
            "phase": human.phase,
            "version": human.version,
            "updatedAt": to_iso(human.updated_at),
        }
    if type == "agent":
        agent = get_agent_sop(conn, actor, sopId, public_read=public)
        context = agent.ai_context()
        return {
            "content": context,
            "title": agent.title,
            "phase": agent.phase,
            "summary": context["summary"],
        }
    raise BadRequest("Invalid type parameter")


def _human_item(doc: dict[str, Any]) -> dict[str, Any]:
    keys = ("_id", "sopId", "title", "phase", "version", "markdownContent", "updatedAt")
    return {k: doc.get(k) for k in keys}


def _agent_item(context: dict[str, Any], version: int, updated: Any) -> dict[str, Any]:
    return {**context, "version": version, "updatedAt": to_iso(updated)}


@router.put("/api/content-db", responses=errors(409))
def content_put(conn: Conn, actor: CurrentActor, body: JsonObject) -> dict[str, Any]:
    """Edit a human SOP: version +1, title from the H1, agent SOP regenerated, all or nothing."""
    return edit_sop(conn, actor, body).to_legacy()


@router.post("/api/content-db", status_code=201, responses=errors(409))
def content_post(conn: Conn, actor: CurrentActor, body: JsonObject) -> JSONResponse:
    """Create a SOP `{markdownContent, sopId?, phase?}` (SOP- id allocated when absent)."""
    outcome = create_sop(conn, actor, body)
    return JSONResponse(status_code=201, content=outcome.to_legacy())
