"""The page shell's view model: the SOP tabs, the projects dropdown and the account area.

Built once per page request from the same services as the API (list_human_sops,
list_projects); templates only read the resulting small frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

from pmo_playbook.config import Settings
from pmo_playbook.documents.sops import HumanSopRow
from pmo_playbook.services.actor import Actor
from pmo_playbook.services.projects import list_projects
from pmo_playbook.services.sops import list_human_sops


@dataclass(frozen=True)
class SopTab:
    """One SOP tab of the top bar (and the SOP index the chat and exports read titles from)."""

    sop_id: str
    phase: int
    title: str


@dataclass(frozen=True)
class ProjectTab:
    """One entry of the projects dropdown."""

    project_id: str
    project_name: str
    sponsor: str


@dataclass
class Shell:
    """What the top bar shows."""

    sops: list[SopTab]
    projects: list[ProjectTab]
    user: str | None
    current_sop: str | None = None
    current_project: str | None = None
    current_project_name: str | None = None
    is_admin_area: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def sop_tab(row: HumanSopRow) -> SopTab:
    """One SOP tab: id, phase, title (the id when the SOP has no title)."""
    return SopTab(sop_id=row.sop_id, phase=row.phase, title=row.title or row.sop_id)


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
    sops = [sop_tab(row) for row in list_human_sops(conn, actor, public_read=public)]
    projects = [
        ProjectTab(
            project_id=row.project_id,
            project_name=row.project_name or row.project_id,
            sponsor=row.sponsor or "",
        )
        for row in list_projects(conn, actor, None, public_read=public)
    ]
    name = next((p.project_name for p in projects if p.project_id == current_project), None)
    return Shell(
        sops=sops,
        projects=projects,
        user=actor.display if actor.user_id else None,
        current_sop=current_sop,
        current_project=current_project,
        current_project_name=name,
    )
