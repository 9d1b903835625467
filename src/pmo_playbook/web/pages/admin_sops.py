"""Admin SOP pages: list, view, editor with preview, version history, diff and rollback.

Every write form carries the SOP id (and the version it was opened on) explicitly, and the
editor is rendered from the SOP named in the URL on each request, so a save can never land on
another SOP (D35); a save based on an outdated version is refused instead of overwriting.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pmo_playbook.errors import Conflict
from pmo_playbook.services.actor import Permission
from pmo_playbook.services.sop_regeneration import parse_and_validate
from pmo_playbook.services.sop_versions import diff_versions, list_versions, rollback
from pmo_playbook.services.sops import (
    apply_markdown,
    get_human_sop,
    list_all_human_sops,
    list_human_sops,
)
from pmo_playbook.web.deps import AppSettings, Conn, CurrentActor
from pmo_playbook.web.markdown import render_markdown
from pmo_playbook.web.pages.admin_common import (
    admin_render,
    redirect_to,
    require_login,
    require_sop_editor,
)
from pmo_playbook.web.pages.view_models import human_sop_view

router = APIRouter(include_in_schema=False)

SopField = Annotated[str, Form(pattern=r"^SOP-\d{3,}$")]
MARKDOWN_MAX = 200_000


def diff_lines(text: str) -> list[tuple[str, str]]:
    """(css class, line) for a unified diff: headers, hunks, additions, deletions."""
    out = []
    for line in text.splitlines():
        if line.startswith(("+++", "---", "@@")):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        out.append((kind, line))
    return out


def _sop_rows(conn: Any, actor: Any, settings: Any) -> list[Any]:
    """Editors see retired SOPs too (to restore them); others the active ones."""
    if actor.can(Permission.EDIT_SOPS):
        return list_all_human_sops(conn, actor)
    return list_human_sops(conn, actor, public_read=settings.public_read)


def _sop_list(conn: Any, actor: Any, settings: Any) -> list[dict[str, Any]]:
    rows = _sop_rows(conn, actor, settings)
    return [{**human_sop_view(row), "isActive": row.is_active} for row in rows]


_NOTICES = {
    "created": "SOP created; its agent view was generated.",
    "retired": "SOP retired: it is hidden from the library, the chat and the API lists.",
    "restored": "SOP restored.",
}


@router.get("/admin", response_model=None)
def admin_home(actor: CurrentActor) -> Response:
    """The admin area opens on the gap reports (legacy)."""
    require_login(actor)
    return RedirectResponse("/admin/user-feedback", status_code=302)


@router.get("/admin/sops", response_model=None)
def sops_index(
    request: Request, conn: Conn, actor: CurrentActor, settings: AppSettings
) -> Response:
    """The SOP list; the first SOP is shown."""
    require_sop_editor(actor)
    sops = _sop_list(conn, actor, settings)
    if sops:
        return RedirectResponse(f"/admin/sops/{sops[0]['sopId']}", status_code=302)
    context = {"sops": sops, "sop": None, "mode": "view"}
    return admin_render(request, conn, actor, settings, "sops", "admin/sops.html", context)


@router.get("/admin/sops/{sop_id}", response_model=None)
def sop_detail(
    request: Request,
    sop_id: str,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    mode: str = "view",
    saved: int | None = None,
    from_version: int | None = None,
    to_version: int | None = None,
    created: int = 0,
    retired: int = 0,
    restored: int = 0,
) -> Response:
    """One SOP in view, edit or history mode (history can show a diff); a retired SOP is
    shown to editors with its Restore button."""
    require_sop_editor(actor)
    rows = _sop_rows(conn, actor, settings)
    row = next((r for r in rows if r.sop_id == sop_id and not r.is_active), None)
    row = row or get_human_sop(conn, actor, sop_id, public_read=settings.public_read)
    sop = {**human_sop_view(row), "isActive": row.is_active}
    warnings = parse_and_validate(row.markdown, row.sop_id, row.phase)[1].warnings if saved else []
    flags = {"created": created, "retired": retired, "restored": restored}
    done = next((key for key, flag in flags.items() if flag), None)
    notice = f"Saved version {saved}; the agent view was regenerated." if saved else None
    context: dict[str, Any] = {
        "sops": [{**human_sop_view(r), "isActive": r.is_active} for r in rows],
        "sop": sop,
        "mode": mode if mode in ("view", "edit", "history") and row.is_active else "view",
        "notice": notice or (_NOTICES[done] if done else None),
        "warnings": warnings,
        "diff": None,
    }
    if context["mode"] == "history":
        context["history"] = list_versions(conn, actor, sop_id, public_read=settings.public_read)
        if from_version is not None and to_version is not None:
            diff = diff_versions(
                conn, actor, sop_id, from_version, to_version, public_read=settings.public_read
            )
            context["diff"] = diff
            context["diff_lines"] = diff_lines(str(diff.get("diff") or ""))
    return admin_render(request, conn, actor, settings, "sops", "admin/sops.html", context)


@router.post("/admin/sops/preview", response_model=None)
def preview(
    actor: CurrentActor, markdown: Annotated[str, Form(max_length=MARKDOWN_MAX)] = ""
) -> Response:
    """The rendered markdown of the editor's text (htmx swaps it into the preview pane)."""
    require_sop_editor(actor)
    html = render_markdown(markdown, heading_offset=1)
    return Response(f'<div class="markdown">{html}</div>', media_type="text/html")


@router.post("/admin/sops/save", response_model=None)
def save(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    sop_id: SopField,
    base_version: Annotated[int, Form(ge=1)],
    markdown: Annotated[str, Form(min_length=1, max_length=MARKDOWN_MAX)],
) -> Response:
    """Save the editor's markdown as the next version of exactly `sop_id`."""
    current = get_human_sop(conn, actor, sop_id, public_read=settings.public_read)
    if current.version != base_version:
        raise Conflict(
            f"{sop_id} changed since the editor was opened (version {base_version}, now "
            f"{current.version}); reload the editor and apply your change again"
        )
    outcome = apply_markdown(conn, actor, sop_id, markdown)
    target = f"/admin/sops/{sop_id}?saved={outcome.human.version}"
    return redirect_to(request, target)


@router.post("/admin/sops/rollback", response_model=None)
def roll_back(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    sop_id: SopField,
    version: Annotated[int, Form(ge=1)],
) -> Response:
    """Restore `version` of `sop_id` as a new version (history is kept)."""
    outcome = rollback(conn, actor, sop_id, version)
    return redirect_to(request, f"/admin/sops/{sop_id}?saved={outcome.human.version}")
