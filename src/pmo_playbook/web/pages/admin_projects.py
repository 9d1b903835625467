"""Admin projects: table with search and "show inactive", create/edit form, deactivate.

Lists are edited as one item per line and milestones as date + description rows, so the form
works without JavaScript. Permissions (admin or EDIT_SOPS) are enforced by the service.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from pmo_playbook.documents.projects import PROJECT_ARRAY_FIELDS
from pmo_playbook.errors import InvalidInput, NotFound
from pmo_playbook.services.projects import (
    create_project,
    delete_project,
    list_projects,
    update_project,
)
from pmo_playbook.web.deps import AppSettings, Conn, CurrentActor
from pmo_playbook.web.pages.admin_common import (
    admin_render,
    redirect_to,
    require_projects_editor,
)
from pmo_playbook.web.pages.rendering import iso_day
from pmo_playbook.web.pages.view_models import project_view

router = APIRouter(include_in_schema=False)

LIST_FIELDS = (
    ("projectTeam", "Project Team"),
    ("keyStakeholders", "Key Stakeholders"),
    ("projectObjectives", "Project Objectives"),
    ("scopeDeliverables", "Scope & Deliverables"),
    ("threats", "Threats"),
    ("opportunities", "Opportunities"),
    ("keyAssumptions", "Key Assumptions"),
    ("successCriteria", "Success Criteria"),
)
EMPTY_MILESTONE_ROWS = 3
Long = Annotated[str, Form(max_length=20_000)]


def _matches(project: dict[str, Any], query: str) -> bool:
    needle = query.strip().lower()
    fields = (project["projectName"], project["projectId"], project["sponsor"])
    return not needle or any(needle in str(value).lower() for value in fields)


@router.get("/admin/projects", response_model=None)
def projects_index(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    q: str = "",
    inactive: bool = False,
    saved: str | None = None,
    deleted: str | None = None,
) -> Response:
    """The projects table (active only unless "Show inactive projects" is ticked)."""
    require_projects_editor(actor)
    rows = list_projects(conn, actor, "false" if inactive else None, public_read=True)
    projects = [p for p in (project_view(row) for row in rows) if _matches(p, q)]
    context = {
        "projects": projects,
        "q": q,
        "inactive": inactive,
        "notice": _notice(saved, deleted),
    }
    return admin_render(request, conn, actor, settings, "projects", "admin/projects.html", context)


def _notice(saved: str | None, deleted: str | None) -> str | None:
    """The banner after a write: what happened to which project."""
    if deleted:
        return f"Project {deleted} deleted (deactivated; tick “Show inactive projects” to see it)."
    return f"Project {saved} saved." if saved else None


def _form_context(project: dict[str, Any] | None) -> dict[str, Any]:
    values = project or {}
    milestones = [
        {"date": iso_day(m["date"]), "description": m["description"]}
        for m in values.get("milestones", [])
    ] + [{"date": "", "description": ""}] * EMPTY_MILESTONE_ROWS
    lists = [
        {"key": key, "label": label, "text": "\n".join(values.get(key, []))}
        for key, label in LIST_FIELDS
    ]
    return {
        "project": project,
        "values": values,
        "lists": lists,
        "milestones": milestones,
        "errors": {},
    }


@router.get("/admin/projects/new", response_model=None)
def new_project(
    request: Request, conn: Conn, actor: CurrentActor, settings: AppSettings
) -> Response:
    """The empty "Create New Project" form."""
    require_projects_editor(actor)
    context = _form_context(None)
    return admin_render(
        request, conn, actor, settings, "projects", "admin/project_form.html", context
    )


@router.get("/admin/projects/{project_id}/edit", response_model=None)
def edit_project(
    request: Request, project_id: str, conn: Conn, actor: CurrentActor, settings: AppSettings
) -> Response:
    """The "Edit Project" form (inactive projects included, so they can be reactivated)."""
    require_projects_editor(actor)
    rows = list_projects(conn, actor, "false", public_read=True)
    row = next((r for r in rows if r.project_id == project_id), None)
    if row is None:
        raise NotFound("Project not found", details={"projectId": project_id})
    context = _form_context(project_view(row))
    return admin_render(
        request, conn, actor, settings, "projects", "admin/project_form.html", context
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@router.post("/admin/projects/save", response_model=None)
def save_project(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    projectName: Annotated[str, Form(max_length=200)] = "",
    sponsor: Annotated[str, Form(max_length=100)] = "",
    businessCaseSummary: Long = "",
    resourceRequirements: Long = "",
    project_id: Annotated[str, Form(max_length=20)] = "",
    projectTeam: Long = "",
    keyStakeholders: Long = "",
    projectObjectives: Long = "",
    scopeDeliverables: Long = "",
    threats: Long = "",
    opportunities: Long = "",
    keyAssumptions: Long = "",
    successCriteria: Long = "",
    milestone_date: Annotated[list[str] | None, Form()] = None,
    milestone_description: Annotated[list[str] | None, Form()] = None,
    is_active: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Create (no project_id) or update exactly `project_id` from the form; a refused save
    (an empty required field, a bad milestone) renders the form again with what was typed and
    the error beside its field (422)."""
    texts = {
        "projectTeam": projectTeam,
        "keyStakeholders": keyStakeholders,
        "projectObjectives": projectObjectives,
        "scopeDeliverables": scopeDeliverables,
        "threats": threats,
        "opportunities": opportunities,
        "keyAssumptions": keyAssumptions,
        "successCriteria": successCriteria,
    }
    body: dict[str, Any] = {
        "projectName": projectName,
        "sponsor": sponsor,
        "businessCaseSummary": businessCaseSummary,
        "resourceRequirements": resourceRequirements,
        **{key: _lines(texts[key]) for key in PROJECT_ARRAY_FIELDS},
        "keyDatesMilestones": _milestone_rows(milestone_date or [], milestone_description or []),
        "isActive": is_active == "on",
    }
    try:
        with conn.transaction():  # a savepoint: a refused save leaves nothing behind
            if project_id:
                row = update_project(conn, actor, project_id, body)
            else:
                row = create_project(conn, actor, body)
    except InvalidInput as error:
        field = str((error.details or {}).get("field") or "projectName").split("[")[0]
        typed = {**body, "milestones": body["keyDatesMilestones"]}
        context = _form_context(typed)
        context["project"] = {"projectId": project_id} if project_id else None
        context["lists"] = [
            {"key": key, "label": label, "text": texts[key]} for key, label in LIST_FIELDS
        ]
        context["errors"] = {field: error.message}
        return admin_render(
            request,
            conn,
            actor,
            settings,
            "projects",
            "admin/project_form.html",
            context,
            status=422,
        )
    return redirect_to(request, f"/admin/projects?saved={row.project_id}")


def _milestone_rows(dates: list[str], descriptions: list[str]) -> list[dict[str, str]]:
    """The filled milestone rows (a row with neither date nor description is skipped)."""
    rows = []
    for date, description in zip(dates, descriptions, strict=False):
        if date.strip() or description.strip():
            rows.append({"date": date.strip(), "description": description.strip()})
    return rows


@router.post("/admin/projects/deactivate", response_model=None)
def deactivate_project(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    project_id: Annotated[str, Form(max_length=20)],
) -> Response:
    """Soft delete (isActive false), like the legacy DELETE."""
    row = delete_project(conn, actor, project_id)
    return redirect_to(request, f"/admin/projects?deleted={row.project_id}")
