"""Authorization checks shared by the SOP, project and proposal services.

Anonymous callers get `Unauthorized` (401), logged-in callers without the right `Forbidden` (403).
"""

from __future__ import annotations

from pmo_playbook.errors import Forbidden, Unauthorized
from pmo_playbook.services.actor import Actor, Permission, Role


def _deny(actor: Actor, what: str) -> None:
    if actor.is_anonymous:
        raise Unauthorized(f"Sign in to {what}")
    raise Forbidden(f"You are not allowed to {what}")


def require_permission(actor: Actor, permission: Permission, what: str) -> None:
    """The actor must hold `permission` (admins and the system hold all)."""
    if not actor.can(permission):
        _deny(actor, what)


def require_project_editor(actor: Actor) -> None:
    """Projects create/update/delete: the admin role or the EDIT_SOPS permission."""
    if not (actor.role == Role.ADMIN or actor.can(Permission.EDIT_SOPS)):
        _deny(actor, "change projects")


def require_reader(actor: Actor, public_read: bool) -> None:
    """Reading SOPs and projects: anyone when public_read, else any signed-in user."""
    if not public_read and actor.is_anonymous:
        raise Unauthorized("Sign in to read the playbook")
