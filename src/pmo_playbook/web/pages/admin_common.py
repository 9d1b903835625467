"""Shared pieces of the admin pages: the login gate, the layout context, safe redirects."""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from pmo_playbook.config import Settings
from pmo_playbook.errors import Unauthorized
from pmo_playbook.services.actor import Actor
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
