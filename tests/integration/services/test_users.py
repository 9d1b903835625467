"""User service rules: role change resets permissions (§1.9), Actor mapping, demo admin."""

from __future__ import annotations

from typing import Any

import psycopg

from pmo_playbook.services.actor import Permission, Role
from pmo_playbook.services.passwords import verify_password
from pmo_playbook.services.users import (
    actor_for,
    create_user,
    ensure_demo_admin,
    get_user_by_email,
    set_role,
)


def test_role_change_replaces_permissions_per_legacy_table(conn: psycopg.Connection[Any]) -> None:
    create_user(conn, "role@example.com", "Role", "user")
    assert get_user_by_email(conn, "role@example.com").permissions == {
        "canCreateProposals": True,
        "canApproveProposals": False,
        "canEditSOPs": False,
        "canViewAnalytics": False,
    }
    viewer = set_role(conn, "ROLE@example.com", "viewer")
    assert viewer.role == "viewer" and viewer.data["role"] == "viewer"
    assert viewer.permissions == {
        "canCreateProposals": False,
        "canApproveProposals": False,
        "canEditSOPs": False,
        "canViewAnalytics": True,
    }


def test_actor_for_uses_email_as_display_and_stored_flags(conn: psycopg.Connection[Any]) -> None:
    user = create_user(conn, "act@example.com", "Act", "viewer")
    actor = actor_for(user)
    assert actor.display == "act@example.com" and actor.user_id == user.user_id
    assert actor.role == Role.VIEWER
    assert actor.can(Permission.VIEW_ANALYTICS) and not actor.can(Permission.EDIT_SOPS)
    assert actor.owner_key == user.user_id


def test_ensure_demo_admin_creates_once_then_reports_no_password(
    conn: psycopg.Connection[Any],
) -> None:
    email, password = ensure_demo_admin(conn)
    assert password is not None
    row = conn.execute(
        "SELECT role, password_hash FROM users WHERE email = %s", (email,)
    ).fetchone()
    assert row is not None and row[0] == "admin" and verify_password(row[1], password)
    assert ensure_demo_admin(conn) == (email, None)
