"""Home and the SOP library: `/` → the first SOP, `/sop/{id-or-slug}` with human/agent tabs.

Readable without JavaScript: the tabs are links (`?view=agent`) and the server renders the
selected panel, so every view has a shareable URL. Unknown SOPs get a real 404 page (D37).
"""

from __future__ import annotations

import re
from typing import Any

import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from pmo_playbook.config import Settings
from pmo_playbook.documents.sops import HumanSopRow
from pmo_playbook.errors import NotFound
from pmo_playbook.services.actor import Actor
from pmo_playbook.services.sops import get_agent_sop, get_human_sop, list_human_sops
from pmo_playbook.web.deps import AppSettings, Conn, CurrentActor
from pmo_playbook.web.markdown import slugify
from pmo_playbook.web.pages.chat_panel import chat_context
from pmo_playbook.web.pages.rendering import render
from pmo_playbook.web.pages.shell import build_shell
from pmo_playbook.web.pages.view_models import agent_sop_view, human_sop_view

router = APIRouter(include_in_schema=False)

_SOP_ID = re.compile(r"^SOP-\d{3,}$", re.IGNORECASE)


def resolve_sop(
    conn: psycopg.Connection[Any], actor: Actor, settings: Settings, ref: str
) -> HumanSopRow:
    """The active SOP named by its id (any case) or by the slug of its title."""
    public = settings.public_read
    if _SOP_ID.match(ref):
        return get_human_sop(conn, actor, ref.upper(), public_read=public)
    wanted = ref.strip().lower()
    for row in list_human_sops(conn, actor, public_read=public):
        if slugify(row.title) == wanted:
            return row
    raise NotFound("SOP not found", details={"sopId": ref})


def not_found_page(
    request: Request, shell: Any, what: str, links: list[dict[str, str]]
) -> Response:
    """The legacy "… Not Found" page, with status 404 (D37)."""
    context = {
        "shell": shell,
        "status": 404,
        "title": f"{what} Not Found",
        "message": f"The {what.lower()} you're looking for doesn't exist.",
        "links": links,
    }
    return render(request, "error.html", context, status=404)


@router.get("/", response_model=None)
def home(request: Request, conn: Conn, actor: CurrentActor, settings: AppSettings) -> Response:
    """Redirect to the first SOP (lowest phase), or say that there are none."""
    rows = list_human_sops(conn, actor, public_read=settings.public_read)
    if rows:
        return RedirectResponse(f"/sop/{rows[0].sop_id}", status_code=302)
    shell = build_shell(conn, actor, settings)
    return render(request, "home_empty.html", {"shell": shell})


@router.get("/sop/{ref}", response_model=None)
def sop_page(
    request: Request,
    ref: str,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    view: str = "human",
    session: str | None = None,
) -> Response:
    """One SOP: the human markdown (default) or the structured agent view, plus the chat."""
    try:
        row = resolve_sop(conn, actor, settings, ref)
    except NotFound:
        shell = build_shell(conn, actor, settings)
        return not_found_page(request, shell, "SOP", [])
    if row.sop_id != ref:
        suffix = "?view=agent" if view == "agent" else ""
        return RedirectResponse(f"/sop/{row.sop_id}{suffix}", status_code=301)
    shell = build_shell(conn, actor, settings, current_sop=row.sop_id)
    agent = None
    if view == "agent":
        try:
            agent = agent_sop_view(get_agent_sop(conn, actor, row.sop_id))
        except NotFound:
            agent = None
    context = {
        "shell": shell,
        "sop": human_sop_view(row),
        "view": "agent" if view == "agent" else "human",
        "agent": agent,
        "chat": chat_context(request, conn, actor, session, f"/sop/{row.sop_id}", shell.sops),
    }
    return render(request, "sop.html", context)
