"""Sample data for the browser tests, written through the real services (never raw SQL).

The five real SOPs (../shared/fixtures/sop-markdown), the two projects of the seed export and
an admin user who can log in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg

from pmo_playbook.services.actor import SYSTEM
from pmo_playbook.services.projects import create_project
from pmo_playbook.services.sessions import record_turn
from pmo_playbook.services.sops import create_sop
from pmo_playbook.services.users import actor_for, create_user, get_user_by_email

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct-horse-battery-9"
USER_EMAIL = "user@example.com"
USER_PASSWORD = "plain-user-password-7"
_PROJECT_KEYS_SKIPPED = ("_id", "createdAt", "updatedAt", "__v", "createdBy", "lastModifiedBy")


def seed_sops(conn: psycopg.Connection[Any], fixtures_dir: Path) -> list[str]:
    """SOP-001 … SOP-005 from the markdown files, in file order (phase = file number)."""
    ids = []
    files = sorted((fixtures_dir / "sop-markdown").glob("*.md"))
    for number, path in enumerate(files, start=1):
        sop_id = f"SOP-{number:03d}"
        body = {"sopId": sop_id, "phase": number, "markdownContent": path.read_text("utf-8")}
        create_sop(conn, SYSTEM, body)
        ids.append(sop_id)
    return ids


def seed_projects(conn: psycopg.Connection[Any], fixtures_dir: Path) -> list[str]:
    """The projects of the seed export (PRO-001, PRO-002)."""
    rows = json.loads((fixtures_dir / "seed-export" / "projects.json").read_text("utf-8"))
    ids = []
    for row in rows:
        body = {k: v for k, v in row.items() if k not in _PROJECT_KEYS_SKIPPED}
        ids.append(create_project(conn, SYSTEM, body).project_id)
    return ids


def seed_all(db_url: str, fixtures_dir: Path) -> dict[str, list[str]]:
    """Everything the journeys need, committed in one transaction."""
    with psycopg.connect(db_url) as conn:
        sops = seed_sops(conn, fixtures_dir)
        projects = seed_projects(conn, fixtures_dir)
        create_user(conn, ADMIN_EMAIL, "Ada Admin", "admin", ADMIN_PASSWORD)
        create_user(conn, USER_EMAIL, "Uma User", "user", USER_PASSWORD)
    return {"sops": sops, "projects": projects}


def seed_session(
    db_url: str,
    email: str,
    session_id: str,
    question: str,
    answer: str,
    sop_id: str = "SOP-002",
    confidence: float = 0.82,
) -> list[str]:
    """One stored question/answer turn in `email`'s own session (through record_turn)."""
    with psycopg.connect(db_url) as conn:
        actor = actor_for(get_user_by_email(conn, email))
        turn = [
            {"role": "user", "content": question},
            {
                "role": "assistant",
                "content": answer,
                "selectedSopId": sop_id,
                "confidence": confidence,
            },
        ]
        return record_turn(conn, actor, session_id, turn).message_ids
