"""Projects: list, read, create with an atomic PRO- id (D16), update, soft delete, summary.

Validation follows the legacy route and model (§1.7, §2.8): required fields checked in order
(400 `Missing required field: <f>`), text trimmed, max lengths, array fields, milestone dates
stored as natural ISO text with an `_id` per milestone like mongoose sub-documents. Only the
model's fields are stored (mongoose strict mode); audit fields come from the actor.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg

from pmo_playbook.documents.common import from_iso, is_object_id, new_object_id, to_iso
from pmo_playbook.documents.ids import check_new_id
from pmo_playbook.documents.projects import (
    PROJECT_ARRAY_FIELDS,
    PROJECT_MAX_LENGTHS,
    PROJECT_REQUIRED_FIELDS,
    ProjectRow,
    ProjectSummary,
)
from pmo_playbook.errors import BadRequest, Conflict, InvalidInput, NotFound
from pmo_playbook.repositories.ids import IdRepository
from pmo_playbook.repositories.projects import ProjectRepository
from pmo_playbook.services.actor import Actor
from pmo_playbook.services.sop_access import require_project_editor, require_reader

_IGNORED_ON_UPDATE = ("_id", "projectId", "createdAt", "updatedAt", "createdBy", "lastModifiedBy")


def _active_only(active: str | None) -> bool:
    """The legacy list's filter: active projects unless `active` is the literal `false`."""
    return active != "false"


def list_projects(
    conn: psycopg.Connection[Any], actor: Actor, active: str | None, *, public_read: bool = True
) -> list[ProjectRow]:
    """GET /api/projects: active only unless `active` is the literal `false` (then all)."""
    require_reader(actor, public_read)
    return ProjectRepository(conn).list(active_only=_active_only(active))


def list_projects_json(
    conn: psycopg.Connection[Any], actor: Actor, active: str | None, *, public_read: bool = True
) -> str:
    """`list_projects` as the JSON text of the legacy shapes, built by the database."""
    require_reader(actor, public_read)
    return ProjectRepository(conn).list_json(active_only=_active_only(active))


def get_project(
    conn: psycopg.Connection[Any], actor: Actor, project_id: str, *, public_read: bool = True
) -> ProjectRow:
    """An active project, or NotFound('Project not found')."""
    require_reader(actor, public_read)
    row = ProjectRepository(conn).get(project_id, active_only=True)
    if row is None:
        raise NotFound("Project not found", details={"projectId": project_id})
    return row


def _text(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a string", details={"field": field})
    text = value.strip()
    limit = PROJECT_MAX_LENGTHS.get(field)
    if limit is not None and len(text) > limit:
        raise InvalidInput(
            f"{field} must be at most {limit} characters", details={"field": field, "max": limit}
        )
    return text


def _string_list(field: str, value: Any, *, coerce: bool) -> list[str]:
    if not isinstance(value, list):
        if coerce:  # legacy POST: a non-array value becomes []
            return []
        raise InvalidInput(f"{field} must be an array of strings", details={"field": field})
    items: list[str] = []
    for index, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise InvalidInput(
                f"{field}[{index}] must be a string", details={"field": f"{field}.{index}"}
            )
        items.append(str(item).strip())
    return items


def _milestones(value: Any, *, coerce: bool) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        if coerce:
            return []
        raise InvalidInput(
            "keyDatesMilestones must be an array", details={"field": "keyDatesMilestones"}
        )
    out: list[dict[str, Any]] = []
    for index, item in enumerate(value):
        where = f"keyDatesMilestones[{index}]"
        if not isinstance(item, dict):
            raise InvalidInput(f"{where} must be an object with date and description")
        description = item.get("description")
        if not isinstance(description, str) or not description.strip():
            raise InvalidInput(f"{where}.description is required", details={"field": where})
        try:
            date = to_iso(from_iso(item.get("date")))  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise InvalidInput(
                f"{where}.date must be an ISO-8601 date", details={"field": where}
            ) from exc
        sub_id = item.get("_id") if is_object_id(item.get("_id")) else new_object_id()
        out.append({"date": date, "description": description.strip(), "_id": sub_id})
    return out


def _clean_fields(body: dict[str, Any], *, coerce_arrays: bool) -> dict[str, Any]:
    """The model's fields present in `body`, validated and normalised."""
    data: dict[str, Any] = {}
    for field in PROJECT_REQUIRED_FIELDS:
        if field in body:
            data[field] = _text(field, body[field])
            if not data[field]:
                raise InvalidInput(f"{field} must not be empty", details={"field": field})
    for field in PROJECT_ARRAY_FIELDS:
        if field in body:
            data[field] = _string_list(field, body[field], coerce=coerce_arrays)
    if "keyDatesMilestones" in body:
        data["keyDatesMilestones"] = _milestones(body["keyDatesMilestones"], coerce=coerce_arrays)
    if "isActive" in body:
        if not isinstance(body["isActive"], bool):
            raise InvalidInput("isActive must be true or false", details={"field": "isActive"})
        data["isActive"] = body["isActive"]
    return data


def create_project(conn: psycopg.Connection[Any], actor: Actor, body: dict[str, Any]) -> ProjectRow:
    """POST /api/projects. The id is allocated atomically unless the client supplies one."""
    require_project_editor(actor)
    requested = body.get("projectId")
    if requested is not None:
        requested = check_new_id("PRO", requested, "projectId")
    for field in PROJECT_REQUIRED_FIELDS:
        value = body.get(field)
        if not value or (isinstance(value, str) and not value.strip()):
            raise BadRequest(f"Missing required field: {field}", details={"field": field})
    data = _clean_fields(body, coerce_arrays=True)
    for field in PROJECT_ARRAY_FIELDS:
        data.setdefault(field, [])
    data.setdefault("keyDatesMilestones", [])
    data.setdefault("isActive", True)
    project_id = requested or IdRepository(conn).next_project_id()
    document = {"projectId": project_id, **data}
    document.update(createdBy=actor.display, lastModifiedBy=actor.display)
    try:
        return ProjectRepository(conn).insert(project_id, new_object_id(), document)
    except Conflict as exc:
        raise Conflict("Project ID already exists", details={"projectId": project_id}) from exc


def update_project(
    conn: psycopg.Connection[Any], actor: Actor, project_id: str, body: dict[str, Any]
) -> ProjectRow:
    """PUT /api/projects/{id}: merge the given fields (inactive projects too; can reactivate)."""
    require_project_editor(actor)
    fields = {k: v for k, v in body.items() if k not in _IGNORED_ON_UPDATE}
    patch = _clean_fields(fields, coerce_arrays=False)
    patch["lastModifiedBy"] = actor.display
    row = ProjectRepository(conn).update(project_id, patch)
    if row is None:
        raise NotFound("Project not found", details={"projectId": project_id})
    return row


def delete_project(conn: psycopg.Connection[Any], actor: Actor, project_id: str) -> ProjectRow:
    """DELETE /api/projects/{id}: a soft delete (isActive false)."""
    require_project_editor(actor)
    row = ProjectRepository(conn).update(
        project_id, {"isActive": False, "lastModifiedBy": actor.display}
    )
    if row is None:
        raise NotFound("Project not found", details={"projectId": project_id})
    return row


def summarize_project(row: ProjectRow, now: datetime | None = None) -> ProjectSummary:
    """Legacy `getSummary()`: team size, deliverable count, the earliest future milestone."""
    moment = now or datetime.now(UTC)
    upcoming: list[tuple[datetime, dict[str, Any]]] = []
    for milestone in row.data.get("keyDatesMilestones") or []:
        try:
            when = from_iso(str(milestone.get("date")))
        except ValueError:
            continue
        if when > moment:
            upcoming.append((when, milestone))
    upcoming.sort(key=lambda pair: pair[0])
    return ProjectSummary(
        projectId=row.project_id,
        projectName=row.data.get("projectName"),
        sponsor=row.data.get("sponsor"),
        teamSize=len(row.data.get("projectTeam") or []),
        deliverableCount=len(row.data.get("scopeDeliverables") or []),
        nextMilestone=upcoming[0][1] if upcoming else None,
    )
