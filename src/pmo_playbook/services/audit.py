"""The audit log of admin actions: recorded by the service that made the change, in the same
transaction, so an entry exists exactly when the change does. Never given secrets."""

from __future__ import annotations

from typing import Any

import psycopg

from pmo_playbook.errors import Forbidden, Unauthorized
from pmo_playbook.repositories.audit_log import AuditEntry, AuditLogRepository
from pmo_playbook.services.actor import Actor, Role

LIST_MAX = 500


def record_action(
    conn: psycopg.Connection[Any],
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str,
    **details: Any,
) -> AuditEntry:
    """Append "`actor` did `action` to `target_type` `target_id`" (now)."""
    return AuditLogRepository(conn).append(actor.display, action, target_type, target_id, details)


def recent_actions(
    conn: psycopg.Connection[Any], actor: Actor, limit: int = 100, target_type: str | None = None
) -> list[AuditEntry]:
    """The newest entries (admins only)."""
    if actor.is_anonymous:
        raise Unauthorized("Sign in to read the audit log")
    if not (actor.is_system or actor.role == Role.ADMIN):
        raise Forbidden("You are not allowed to read the audit log")
    return AuditLogRepository(conn).recent(max(1, min(limit, LIST_MAX)), target_type)
