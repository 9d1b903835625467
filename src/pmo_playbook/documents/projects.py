"""Project documents (legacy collection `projects`, §1.7)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from pmo_playbook.documents.common import render_row

PROJECT_ARRAY_FIELDS = (
    "projectTeam",
    "keyStakeholders",
    "projectObjectives",
    "scopeDeliverables",
    "threats",
    "opportunities",
    "keyAssumptions",
    "successCriteria",
)
# Keys whose value is a list: a document without one answers [] rather than null.
PROJECT_LIST_KEYS = (*PROJECT_ARRAY_FIELDS, "keyDatesMilestones")
PROJECT_REQUIRED_FIELDS = ("projectName", "sponsor", "businessCaseSummary", "resourceRequirements")
PROJECT_TEXT_FIELDS = (*PROJECT_REQUIRED_FIELDS,)
PROJECT_MAX_LENGTHS = {"projectName": 200, "sponsor": 100}
PROJECT_RESPONSE_KEYS = (
    "_id",
    "projectId",
    "projectName",
    "sponsor",
    "projectTeam",
    "keyStakeholders",
    "projectObjectives",
    "businessCaseSummary",
    "resourceRequirements",
    "scopeDeliverables",
    "keyDatesMilestones",
    "threats",
    "opportunities",
    "keyAssumptions",
    "successCriteria",
    "isActive",
    "createdAt",
    "updatedAt",
)


class ProjectRow(BaseModel):
    """A row of `projects`: typed columns plus the natural-JSON document."""

    model_config = ConfigDict(frozen=True)

    legacy_id: str | None
    project_id: str
    is_active: bool
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @property
    def project_name(self) -> str | None:
        value = self.data.get("projectName")
        return value if isinstance(value, str) else None

    @property
    def sponsor(self) -> str | None:
        value = self.data.get("sponsor")
        return value if isinstance(value, str) else None

    def to_legacy(self) -> dict[str, Any]:
        """The §2.8 response shape: exactly the legacy keys, in the legacy order."""
        full = render_row(self.legacy_id, self.data, self.created_at, self.updated_at)
        full["projectId"] = self.project_id
        full["isActive"] = self.is_active
        out: dict[str, Any] = {}
        for key in PROJECT_RESPONSE_KEYS:
            out[key] = full.get(key, [] if key in PROJECT_LIST_KEYS else None)
        return out

    def brief(self) -> dict[str, Any]:
        """`{_id, projectId, projectName}` (POST/PUT responses)."""
        return {
            "_id": self.legacy_id,
            "projectId": self.project_id,
            "projectName": self.data.get("projectName"),
        }


class ProjectSummary(BaseModel):
    """The dashboard summary (legacy `getSummary()`)."""

    projectId: str
    projectName: str | None
    sponsor: str | None
    teamSize: int
    deliverableCount: int
    nextMilestone: dict[str, Any] | None
