"""`/my/reports`: the gap reports the visitor filed about their own chats and what became of
each (under review, approved, implemented in version N, rejected with the reason)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pmo_playbook.services.my_reports import list_my_reports
from pmo_playbook.web.deps import AppSettings, Conn, CurrentActor
from pmo_playbook.web.pages.rendering import render
from pmo_playbook.web.pages.shell import build_shell

router = APIRouter(include_in_schema=False)


@router.get("/my/reports", response_model=None)
def my_reports(
    request: Request, conn: Conn, actor: CurrentActor, settings: AppSettings
) -> Response:
    """The reporter's own reports, newest first (signed-in users and cookie visitors alike)."""
    context = {
        "shell": build_shell(conn, actor, settings),
        "reports": list_my_reports(conn, actor),
    }
    return render(request, "my_reports.html", context)
