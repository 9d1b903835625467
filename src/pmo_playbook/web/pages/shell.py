"""The page shell's view model: the SOP tabs, the projects dropdown and the account area.

Built once per page request from the same services as the API (list_human_sops,
list_projects); templates only read the resulting plain dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

from pmo_playbook.config import Settings
from pmo_playbook.services.actor import Actor
from pmo_playbook.services.projects import list_projects
from pmo_playbook.services.sops import list_human_sops


@dataclass
class Shell:
    """What the top bar shows."""

    sops: list[dict[str, Any]]
    projects: list[dict[str, Any]]
    user: str | None
    current_sop: str | None = None
    current_project: str | None = None
    current_project_name: str | None = None
    is_admin_area: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def sop_tab(row_legacy: dict[str, Any]) -> dict[str, Any]:
    """One SOP tab: id, phase, title."""
    return {
        "sopId": row_legacy.get("sopId"),
        "phase": row_legacy.get("phase"),
        "title": row_legacy.get("title") or row_legacy.get("sopId"),
    }


def build_shell(
    conn: psycopg.Connection[Any],
    actor: Actor,
    settings: Settings,
    *,
    current_sop: str | None = None,
    current_project: str | None = None,
) -> Shell:
    """The top bar for `actor` (active SOPs by phase, active projects)."""
    public = settings.public_read
    sops = [sop_tab(row.to_legacy()) for row in list_human_sops(conn, actor, public_read=public)]
    projects = [
        {
            "projectId": row.project_id,
            "projectName": row.data.get("projectName") or row.project_id,
            "sponsor": row.data.get("sponsor") or "",
        }
        for row in list_projects(conn, actor, None, public_read=public)
    ]
    name = next((p["projectName"] for p in projects if p["projectId"] == current_project), None)
    return Shell(
        sops=sops,
        projects=projects,
        user=actor.display if actor.user_id else None,
        current_sop=current_sop,
        current_project=current_project,
        current_project_name=name,
    )
