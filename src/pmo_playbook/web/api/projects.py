"""`/api/projects` and `/api/projects/{projectId}` (legacy §2.8) plus the dashboard summary."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from pmo_playbook.documents.ids import PROJECT_ID_PATTERN
from pmo_playbook.documents.projects import PROJECT_ARRAY_FIELDS, PROJECT_MAX_LENGTHS
from pmo_playbook.services.projects import (
    create_project,
    delete_project,
    get_project,
    list_projects_json,
    summarize_project,
    update_project,
)
from pmo_playbook.web.api.contract import NON_BLANK, READ, errors
from pmo_playbook.web.deps import AppSettings, Conn, CurrentActor, ReadConn
from pmo_playbook.web.responses import JsonResponse

router = APIRouter(tags=["projects"], responses=READ)
JsonObject = Annotated[dict[str, Any], Body(description="Project fields (legacy camelCase keys)")]


def _text(field: str) -> dict[str, Any]:
    limit = PROJECT_MAX_LENGTHS.get(field)
    return {"type": "string", "pattern": NON_BLANK, **({"maxLength": limit} if limit else {})}


_ITEMS = {"type": "array", "items": {"type": ["string", "number"]}}
_MILESTONES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["date", "description"],
        "properties": {
            "date": {"type": "string", "format": "date-time"},
            "description": {"type": "string", "pattern": NON_BLANK},
        },
    },
}
# On create a value that is not an array becomes [] (legacy); on update it is 422.
_LEGACY_ARRAY = {"anyOf": [_ITEMS, {"not": {"type": "array"}}]}
_LEGACY_MILESTONES = {"anyOf": [_MILESTONES, {"not": {"type": "array"}}]}
_TEXTS = ("projectName", "sponsor", "businessCaseSummary", "resourceRequirements")


def _project_body(*, create: bool) -> dict[str, Any]:
    """The project fields the service validates (read from a plain object, so a missing
    required field stays the legacy 400 `Missing required field: <f>`)."""
    properties: dict[str, Any] = {name: _text(name) for name in _TEXTS}
    for name in PROJECT_ARRAY_FIELDS:
        properties[name] = _LEGACY_ARRAY if create else _ITEMS
    properties["keyDatesMilestones"] = _LEGACY_MILESTONES if create else _MILESTONES
    properties["isActive"] = {"type": "boolean"}
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if create:
        properties["projectId"] = {"type": ["string", "null"], "pattern": PROJECT_ID_PATTERN}
        schema["required"] = list(_TEXTS)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


class ProjectBrief(BaseModel):
    """`{_id, projectId, projectName}` as the legacy POST/PUT responses carry."""

    model_config = ConfigDict(populate_by_name=True)

    id: str | None = Field(alias="_id")
    projectId: str
    projectName: str | None


class ProjectWritten(BaseModel):
    message: str
    project: ProjectBrief


class ProjectDeleted(BaseModel):
    message: str
    projectId: str


@router.get("/api/projects", response_model=None)
def projects_list(
    conn: ReadConn, actor: CurrentActor, settings: AppSettings, active: str | None = None
) -> Response:
    """Active projects by projectId; `active=false` lists all of them (active and inactive)."""
    listed = list_projects_json(conn, actor, active, public_read=settings.public_read)
    # Parsed once more (orjson, ~0.1 ms for 40 projects) so the body is compact JSON.
    body = orjson.dumps({"projects": orjson.loads(listed)})
    return Response(body, media_type="application/json")


@router.post(
    "/api/projects",
    status_code=201,
    response_model=ProjectWritten,
    responses=errors(409),
    openapi_extra=_project_body(create=True),
)
def projects_create(conn: Conn, actor: CurrentActor, body: JsonObject) -> JSONResponse:
    """Create a project; the PRO- id is allocated atomically unless given."""
    row = create_project(conn, actor, body)
    content = {"message": "Project created successfully", "project": row.brief()}
    return JSONResponse(status_code=201, content=content)


@router.get("/api/projects/{projectId}", response_model=None)
def projects_get(
    projectId: str, conn: ReadConn, actor: CurrentActor, settings: AppSettings
) -> JsonResponse:
    """One active project (404 `Project not found` otherwise)."""
    row = get_project(conn, actor, projectId, public_read=settings.public_read)
    return JsonResponse({"project": row.to_legacy()})


@router.get("/api/projects/{projectId}/summary")
def projects_summary(
    projectId: str, conn: ReadConn, actor: CurrentActor, settings: AppSettings
) -> dict[str, Any]:
    """Dashboard summary: teamSize, deliverableCount, nextMilestone (legacy getSummary)."""
    row = get_project(conn, actor, projectId, public_read=settings.public_read)
    return {"summary": summarize_project(row).model_dump()}


@router.put(
    "/api/projects/{projectId}",
    response_model=ProjectWritten,
    responses=errors(409),
    openapi_extra=_project_body(create=False),
)
def projects_update(
    projectId: str, conn: Conn, actor: CurrentActor, body: JsonObject
) -> JSONResponse:
    """Change fields of a project (inactive ones too; `isActive: true` reactivates)."""
    row = update_project(conn, actor, projectId, body)
    return JSONResponse({"message": "Project updated successfully", "project": row.brief()})


@router.delete("/api/projects/{projectId}", response_model=ProjectDeleted, responses=errors(409))
def projects_delete(projectId: str, conn: Conn, actor: CurrentActor) -> ProjectDeleted:
    """Soft delete: the project becomes inactive."""
    row = delete_project(conn, actor, projectId)
    return ProjectDeleted(message="Project deleted successfully", projectId=row.project_id)
