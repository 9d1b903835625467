"""`/api/projects` and `/api/projects/{projectId}` (legacy §2.8) plus the dashboard summary."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from pmo_playbook.services.projects import (
    create_project,
    delete_project,
    get_project,
    list_projects,
    summarize_project,
    update_project,
)
from pmo_playbook.web.api.contract import READ, errors
from pmo_playbook.web.deps import AppSettings, Conn, CurrentActor, ReadConn
from pmo_playbook.web.responses import JsonResponse

router = APIRouter(tags=["projects"], responses=READ)
JsonObject = Annotated[dict[str, Any], Body(description="Project fields (legacy camelCase keys)")]


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
) -> JsonResponse:
    """Active projects by projectId; `active=false` lists all of them (active and inactive)."""
    rows = list_projects(conn, actor, active, public_read=settings.public_read)
    return JsonResponse({"projects": [row.to_legacy() for row in rows]})


@router.post("/api/projects", status_code=201, response_model=ProjectWritten, responses=errors(409))
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


@router.put("/api/projects/{projectId}", response_model=ProjectWritten, responses=errors(409))
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
