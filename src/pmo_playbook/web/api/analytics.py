"""`GET /api/analytics`: the admin dashboard's three payloads in one (analytics permission)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pmo_playbook.services.analytics import dashboard
from pmo_playbook.web.api.contract import READ
from pmo_playbook.web.deps import Conn, CurrentActor

router = APIRouter(tags=["analytics"], responses=READ)


@router.get("/api/analytics", response_model=None)
def analytics(conn: Conn, actor: CurrentActor) -> dict[str, Any]:
    """`{sessions, feedback, ratings}` = sessions?analytics=true, user-feedback?analytics=true
    and message-feedback?stats=all."""
    return dashboard(conn, actor).model_dump(by_alias=True)
