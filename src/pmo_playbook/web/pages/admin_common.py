"""Shared pieces of the admin pages: the login gate, the layout context, safe redirects."""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from pmo_playbook.config import Settings
from pmo_playbook.errors import Unauthorized
from pmo_playbook.services.actor import Actor, Permission
from pmo_playbook.services.sessions import can_triage, require
from pmo_playbook.services.sop_access import require_permission, require_project_editor
from pmo_playbook.web.pages.rendering import is_htmx, render
from pmo_playbook.web.pages.shell import build_shell

ADMIN_SECTIONS = (
    ("user-feedback", "User Feedback"),
    ("proposals", "Change Proposals"),
    ("sops", "Manage SOPs"),
    ("projects", "Manage Projects"),
    ("analytics", "Analytics"),
    ("users", "Users"),
    ("audit", "Audit Log"),
)


def require_login(actor: Actor) -> None:
    """Admin pages need a signed-in user (permissions are then checked by the services)."""
    if actor.is_anonymous:
        raise Unauthorized("Sign in to use the admin pages")


def require_sop_editor(actor: Actor) -> None:
    """The SOP management pages (even read-only views and previews) are for SOP editors,
    as the API's SOP writes are: the page is where those writes start."""
    require_login(actor)
    require_permission(actor, Permission.EDIT_SOPS, "manage SOPs")


def require_projects_editor(actor: Actor) -> None:
    """The project management pages: who may change projects through the API."""
    require_login(actor)
    require_project_editor(actor)


def require_triager(actor: Actor) -> None:
    """The conversation viewer: who may review gap reports (admins and proposal approvers)."""
    require_login(actor)
    require(actor, can_triage(actor), "review conversations")


def admin_render(
    request: Request,
    conn: psycopg.Connection[Any],
    actor: Actor,
    settings: Settings,
    section: str,
    template: str,
    context: dict[str, Any],
    status: int = 200,
) -> Response:
    """An admin page inside the admin layout (top bar + admin navigation)."""
    shell = build_shell(conn, actor, settings)
    full = {"shell": shell, "sections": ADMIN_SECTIONS, "section": section, **context}
    return render(request, template, full, status=status)


def redirect_to(request: Request, url: str) -> Response:
    """After a successful write: 303 for plain forms, HX-Redirect for htmx."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
