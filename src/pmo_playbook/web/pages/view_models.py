"""View models of SOPs and projects: plain dicts built from service rows for the templates."""

from __future__ import annotations

from typing import Any

from pmo_playbook.documents.projects import ProjectRow
from pmo_playbook.documents.sops import AgentSopRow, HumanSopRow
from pmo_playbook.web.markdown import slugify

AGENT_SECTIONS = (
    ("objectives", "Objectives"),
    ("keyActivities", "Key Activities"),
    ("deliverables", "Deliverables"),
    ("toolsTemplates", "Tools & Templates"),
    ("bestPractices", "Best Practices"),
    ("commonPitfalls", "Common Pitfalls"),
)


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(v) for v in value if isinstance(v, str | int | float) and str(v).strip()]


def human_sop_view(row: HumanSopRow) -> dict[str, Any]:
    """Header and markdown of a human SOP."""
    return {
        "sopId": row.sop_id,
        "title": row.title or row.sop_id,
        "phase": row.phase,
        "version": row.version,
        "updatedAt": row.updated_at,
        "markdown": row.markdown,
        "slug": slugify(row.title or row.sop_id),
    }


def agent_sop_view(row: AgentSopRow) -> dict[str, Any]:
    """The structured agent SOP: summary, the lists, the roles table, keywords."""
    data = row.data
    sections = data.get("sections") if isinstance(data.get("sections"), dict) else {}
    assert isinstance(sections, dict)
    lists = [
        {
            "key": key,
            "heading": heading,
            "anchor": f"agent-{slugify(heading)}",
            "entries": _strings(sections.get(key)),
        }
        for key, heading in AGENT_SECTIONS
    ]
    roles = []
    for entry in sections.get("rolesResponsibilities") or []:
        if isinstance(entry, dict):
            roles.append(
                {
                    "role": str(entry.get("role") or ""),
                    "responsibilities": _strings(entry.get("responsibilities")),
                }
            )
    return {
        "sopId": row.sop_id,
        "title": row.title or row.sop_id,
        "phase": row.phase,
        "version": row.version,
        "updatedAt": row.updated_at,
        "summary": str(data.get("summary") or ""),
        "description": str(data.get("description") or ""),
        "lists": lists,
        "roles": roles,
        "keywords": _strings(data.get("keywords")),
        "related": _strings(data.get("relatedSopIds")),
        "lastSyncedAt": data.get("lastSyncedAt"),
    }


def _milestones(value: Any) -> list[dict[str, Any]]:
    out = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict):
            out.append(
                {"date": item.get("date"), "description": str(item.get("description") or "")}
            )
    return out


def project_view(row: ProjectRow) -> dict[str, Any]:
    """The §4.4 dashboard: header, then the cards' lists and texts."""
    data = row.data
    return {
        "projectId": row.project_id,
        "projectName": str(data.get("projectName") or row.project_id),
        "sponsor": str(data.get("sponsor") or ""),
        "updatedAt": row.updated_at,
        "isActive": row.is_active,
        "businessCaseSummary": str(data.get("businessCaseSummary") or ""),
        "resourceRequirements": str(data.get("resourceRequirements") or ""),
        "projectObjectives": _strings(data.get("projectObjectives")),
        "successCriteria": _strings(data.get("successCriteria")),
        "projectTeam": _strings(data.get("projectTeam")),
        "keyStakeholders": _strings(data.get("keyStakeholders")),
        "scopeDeliverables": _strings(data.get("scopeDeliverables")),
        "milestones": _milestones(data.get("keyDatesMilestones")),
        "threats": _strings(data.get("threats")),
        "opportunities": _strings(data.get("opportunities")),
        "keyAssumptions": _strings(data.get("keyAssumptions")),
    }
