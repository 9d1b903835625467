"""Every admin page and admin form action, by HTTP, as a signed-in non-admin: 403 (the same
rule as the API: the services decide), and nothing changed. Anonymous visitors are sent to the
login page instead. The list of admin routes is read from the app, so a new admin route that is
not listed here fails the test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.routing import APIRoute

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.services.actor import SYSTEM
from pmo_playbook.services.projects import create_project
from pmo_playbook.services.proposals import create_proposal
from pmo_playbook.services.sops import create_sop
from pmo_playbook.services.tokens import issue_token
from pmo_playbook.services.users import create_user
from pmo_playbook.web.pages import PAGE_MODULES
from tests.support.app import app_client

PASSWORD = "plain-user-password-7"
MARKDOWN = (
    "# PMO SOP – Initiation Phase (Phase 2)\n\n## Summary\nHow a project starts and who signs.\n\n"
    "## Objectives\n- Start well\n\n## Key Activities\n- Write the charter\n"
)

# one call: the concrete path and its form fields
Call = tuple[str, dict[str, Any]]


def _seed(db_url: DatabaseUrl, fixtures_dir: Path) -> dict[str, str]:
    """A SOP, a project, a proposal, an admin with an API token, and the non-admin user."""
    with psycopg.connect(db_url.raw) as conn:
        markdown = sorted((fixtures_dir / "sop-markdown").glob("*.md"))[1].read_text("utf-8")
        create_sop(conn, SYSTEM, {"sopId": "SOP-002", "phase": 2, "markdownContent": markdown})
        rows = json.loads((fixtures_dir / "seed-export" / "projects.json").read_text("utf-8"))
        skipped = ("_id", "createdAt", "updatedAt", "__v", "createdBy", "lastModifiedBy")
        project = create_project(
            conn, SYSTEM, {k: v for k, v in rows[0].items() if k not in skipped}
        )
        change = {"section": "Objectives", "originalContent": "", "suggestedContent": "- More"}
        body = {"sopId": "SOP-002", "triggerQuery": "Why?", "proposedChange": change}
        proposal, _, _ = create_proposal(conn, SYSTEM, body)
        admin = create_user(conn, "boss@example.com", "Boss", "admin", "admin-password-long-1")
        token = issue_token(conn, admin.email, "script")
        create_user(conn, "user@example.com", "Uma User", "user", PASSWORD)
    return {
        "sop": "SOP-002",
        "project": project.project_id,
        "proposal": str(proposal["proposalId"]),
        "admin": admin.user_id,
        "token": str(token.record.id),
    }


def _calls(ids: dict[str, str]) -> dict[tuple[str, str], Call]:
    sop, admin = ids["sop"], ids["admin"]
    return {
        ("GET", "/admin/analytics"): ("/admin/analytics", {}),
        ("GET", "/admin/user-feedback"): ("/admin/user-feedback", {}),
        ("GET", "/admin/user-feedback/{key}"): ("/admin/user-feedback/FB-1", {}),
        ("POST", "/admin/user-feedback/update"): (
            "/admin/user-feedback/update",
            {"feedback_id": "FB-1", "status": "closed"},
        ),
        ("POST", "/admin/user-feedback/suggestion"): (
            "/admin/user-feedback/suggestion",
            {"feedback_id": "FB-1"},
        ),
        ("GET", "/admin/conversations/{session_id}"): ("/admin/conversations/session-x", {}),
        ("GET", "/admin/user-feedback/{key}/propose"): ("/admin/user-feedback/FB-1/propose", {}),
        ("POST", "/admin/user-feedback/propose"): (
            "/admin/user-feedback/propose",
            {"feedback_id": "FB-1", "section": "Objectives", "suggested_content": "- x"},
        ),
        ("GET", "/admin/projects"): ("/admin/projects", {}),
        ("GET", "/admin/projects/new"): ("/admin/projects/new", {}),
        ("GET", "/admin/projects/{project_id}/edit"): (
            f"/admin/projects/{ids['project']}/edit",
            {},
        ),
        ("POST", "/admin/projects/save"): (
            "/admin/projects/save",
            {
                "projectName": "Taken over",
                "sponsor": "Mallory",
                "businessCaseSummary": "Mine now",
                "resourceRequirements": "None",
                "project_id": ids["project"],
            },
        ),
        ("POST", "/admin/projects/deactivate"): (
            "/admin/projects/deactivate",
            {"project_id": ids["project"]},
        ),
        ("GET", "/admin/proposals"): ("/admin/proposals", {}),
        ("POST", "/admin/proposals/act"): (
            "/admin/proposals/act",
            {"proposal_id": ids["proposal"], "action": "approve"},
        ),
        ("GET", "/admin/sops/new"): ("/admin/sops/new", {}),
        ("POST", "/admin/sops/validate"): ("/admin/sops/validate", {"markdown": MARKDOWN}),
        ("POST", "/admin/sops/create"): (
            "/admin/sops/create",
            {"markdown": MARKDOWN.replace("Initiation", "Other"), "sop_id": "SOP-009"},
        ),
        ("POST", "/admin/sops/active"): ("/admin/sops/active", {"sop_id": sop, "active": "false"}),
        ("GET", "/admin"): ("/admin", {}),
        ("GET", "/admin/sops"): ("/admin/sops", {}),
        ("GET", "/admin/sops/{sop_id}"): (f"/admin/sops/{sop}", {}),
        ("POST", "/admin/sops/preview"): ("/admin/sops/preview", {"markdown": MARKDOWN}),
        ("POST", "/admin/sops/save"): (
            "/admin/sops/save",
            {"sop_id": sop, "base_version": "1", "markdown": MARKDOWN + "- Mine\n"},
        ),
        ("POST", "/admin/sops/rollback"): ("/admin/sops/rollback", {"sop_id": sop, "version": "1"}),
        ("GET", "/admin/users"): ("/admin/users", {}),
        ("POST", "/admin/users/create"): (
            "/admin/users/create",
            {"email": "new@example.com", "name": "New", "role": "admin"},
        ),
        ("POST", "/admin/users/role"): ("/admin/users/role", {"user_id": admin, "role": "user"}),
        ("POST", "/admin/users/active"): (
            "/admin/users/active",
            {"user_id": admin, "active": "false"},
        ),
        ("POST", "/admin/users/password"): ("/admin/users/password", {"user_id": admin}),
        ("POST", "/admin/users/tokens"): (
            "/admin/users/tokens",
            {"user_id": admin, "token_name": "stolen"},
        ),
        ("POST", "/admin/users/tokens/revoke"): (
            "/admin/users/tokens/revoke",
            {"token_id": ids["token"]},
        ),
        ("GET", "/admin/audit"): ("/admin/audit", {}),
    }


def _admin_routes() -> set[tuple[str, str]]:
    """Every /admin route of the page routers `install_pages` mounts."""
    routes: set[tuple[str, str]] = set()
    for module in PAGE_MODULES:
        for route in module.router.routes:
            if isinstance(route, APIRoute) and route.path.startswith("/admin"):
                routes.update((method, route.path) for method in route.methods - {"HEAD"})
    return routes


def _state(db_url: DatabaseUrl) -> tuple[Any, ...]:
    """What the calls above would change if they were allowed."""
    with psycopg.connect(db_url.raw) as conn:
        queries = (
            "select count(*), max(version), bool_and(is_active) from human_sops",
            "select count(*), bool_and(is_active), min(data->>'projectName') from projects",
            "select string_agg(status, ',') from change_proposals",
            "select count(*), string_agg(role || is_active::text, ',' order by email) from users",
            "select count(*), count(revoked_at) from api_tokens",
            "select count(*) from audit_log",
        )
        return tuple(conn.execute(q).fetchone() for q in queries)


@pytest.fixture
def seeded(db_url: DatabaseUrl, fixtures_dir: Path) -> dict[str, str]:
    return _seed(db_url, fixtures_dir)


def test_admin_pages_every_action_is_403_for_a_non_admin(
    db_url: DatabaseUrl, tmp_path: Path, seeded: dict[str, str]
) -> None:
    calls = _calls(seeded)
    before = _state(db_url)
    with app_client(db_url, tmp_path) as client:
        assert _admin_routes() == set(calls), "classify every admin route here"
        response = client.post(
            "/api/auth/login", json={"email": "user@example.com", "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        client.get("/sop/SOP-002")
        token = client.cookies.get("pmo_csrf")
        assert token
        statuses = {}
        for (method, _), (path, form) in sorted(calls.items()):
            if method == "GET":
                response = client.get(path, follow_redirects=False)
            else:
                response = client.post(
                    path, data={**form, "csrf_token": token}, follow_redirects=False
                )
            statuses[(method, path)] = response.status_code
            if response.status_code == 403:
                assert "text/html" in response.headers["content-type"]
                assert "Access Denied" in response.text
    # /admin only redirects (to a page that is itself refused above)
    entry_points = {("GET", "/admin")}
    assert {statuses[call] for call in entry_points} <= {302, 303}
    refused = {call: s for call, s in statuses.items() if call not in entry_points}
    wrong = {c: s for c, s in refused.items() if s != 403}
    assert wrong == {}, sorted(wrong.items())
    assert _state(db_url) == before


def test_admin_pages_anonymous_visitor_is_sent_to_login(
    db_url: DatabaseUrl, tmp_path: Path, seeded: dict[str, str]
) -> None:
    calls = _calls(seeded)
    before = _state(db_url)
    with app_client(db_url, tmp_path) as client:
        for (method, _), (path, _form) in sorted(calls.items()):
            if method != "GET":
                continue  # a cookie-less POST of a form is refused by CSRF first
            response = client.get(path, follow_redirects=False)
            location = response.headers.get("location", "")
            assert response.status_code in (302, 303), (path, response.status_code)
            assert location.startswith(("/login?next=", "/admin/")), (path, location)
    assert _state(db_url) == before
