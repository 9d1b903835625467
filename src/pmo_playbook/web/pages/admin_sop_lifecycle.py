"""Admin SOP lifecycle: create a SOP from markdown (`/admin/sops/new`, validated live while
typing through htmx and again on submit) and retire / restore one.

A refused create keeps the typed markdown and shows the errors beside the field they concern.
Registered before `admin_sops` so `/admin/sops/new` is not taken for a SOP id.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from pmo_playbook.errors import Conflict, InvalidInput
from pmo_playbook.services.sops import check_sop_draft, create_sop, set_sop_active
from pmo_playbook.web.deps import AppSettings, Conn, CurrentActor
from pmo_playbook.web.pages.admin_common import (
    admin_render,
    redirect_to,
    require_login,
    require_sop_editor,
)
from pmo_playbook.web.pages.rendering import render

router = APIRouter(include_in_schema=False)

MARKDOWN_MAX = 200_000
PhaseField = Annotated[str, Form(pattern=r"^[1-5]?$")]


def _phase(value: str) -> int | None:
    return int(value) if value else None


def _form(
    request: Request,
    conn: Any,
    actor: Any,
    settings: Any,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    markdown = values.get("markdown", "")
    check = check_sop_draft(markdown, _phase(values.get("phase", ""))) if markdown else None
    context = {"values": values, "errors": errors or {}, "check": check}
    return admin_render(
        request, conn, actor, settings, "sops", "admin/sop_new.html", context, status
    )


@router.get("/admin/sops/new", response_model=None)
def new_sop(request: Request, conn: Conn, actor: CurrentActor, settings: AppSettings) -> Response:
    """The empty "New SOP" form."""
    require_sop_editor(actor)
    return _form(request, conn, actor, settings, {"markdown": "", "sop_id": "", "phase": ""})


@router.post("/admin/sops/validate", response_model=None)
def validate(
    request: Request,
    actor: CurrentActor,
    markdown: Annotated[str, Form(max_length=MARKDOWN_MAX)] = "",
    phase: PhaseField = "",
) -> Response:
    """The validation panel for the typed markdown (htmx swaps it in while typing)."""
    require_sop_editor(actor)
    check = check_sop_draft(markdown, _phase(phase)) if markdown.strip() else None
    return render(request, "partials/sop_validation.html", {"check": check})


@router.post("/admin/sops/create", response_model=None)
def create(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    markdown: Annotated[str, Form(max_length=MARKDOWN_MAX)] = "",
    sop_id: Annotated[str, Form(max_length=20)] = "",
    phase: PhaseField = "",
) -> Response:
    """Create the SOP (human + agent + first versions) and open it."""
    require_login(actor)
    values = {"markdown": markdown, "sop_id": sop_id.strip().upper(), "phase": phase}
    body: dict[str, Any] = {"markdownContent": markdown}
    if values["sop_id"]:
        body["sopId"] = values["sop_id"]
    if phase:
        body["phase"] = int(phase)
    try:
        with conn.transaction():
            outcome = create_sop(conn, actor, body)
    except (InvalidInput, Conflict) as error:
        text = error.message.lower()
        field = "sop_id" if "sopid" in text or "already exists" in text else "markdown"
        field = "phase" if text.startswith("phase") else field
        return _form(request, conn, actor, settings, values, {field: error.message}, 422)
    return redirect_to(request, f"/admin/sops/{outcome.human.sop_id}?created=1")


@router.post("/admin/sops/active", response_model=None)
def set_active(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    sop_id: Annotated[str, Form(pattern=r"^SOP-\d{3,}$")],
    active: Annotated[str, Form(pattern="^(true|false)$")],
) -> Response:
    """Retire or restore exactly `sop_id`."""
    set_sop_active(conn, actor, sop_id, active == "true")
    done = "restored" if active == "true" else "retired"
    return redirect_to(request, f"/admin/sops/{sop_id}?{done}=1")
