"""Project dashboards: `/pro/{projectId}` (legacy §4.4) with the chat panel beside it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pmo_playbook.errors import NotFound
from pmo_playbook.services.projects import get_project
from pmo_playbook.web.deps import AppSettings, Conn, CurrentActor
from pmo_playbook.web.pages.chat_panel import chat_context
from pmo_playbook.web.pages.rendering import render
from pmo_playbook.web.pages.shell import build_shell
from pmo_playbook.web.pages.sops import not_found_page
from pmo_playbook.web.pages.view_models import project_view

router = APIRouter(include_in_schema=False)

PROJECT_LINKS = [{"href": "/admin/projects", "label": "Manage Projects"}]


@router.get("/pro/{project_id}", response_model=None)
def project_page(
    request: Request,
    project_id: str,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    session: str | None = None,
) -> Response:
    """The dashboard of an active project; unknown or inactive projects get a 404 page (D37)."""
    try:
        row = get_project(conn, actor, project_id.upper(), public_read=settings.public_read)
    except NotFound:
        shell = build_shell(conn, actor, settings)
        return not_found_page(request, shell, "Project", PROJECT_LINKS)
    shell = build_shell(conn, actor, settings, current_project=row.project_id)
    context = {
        "shell": shell,
        "project": project_view(row),
        "chat": chat_context(request, conn, actor, session, f"/pro/{row.project_id}", shell.sops),
    }
    return render(request, "project.html", context)
