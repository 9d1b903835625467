"""A reporter's own gap reports and what became of them (the outcome their proposal's review
wrote back: under review, approved, implemented in version N, or rejected with the reason)."""

from __future__ import annotations

from typing import Any

import psycopg

from pmo_playbook.documents.feedback import GapReport
from pmo_playbook.repositories.user_feedback import UserFeedbackRepository
from pmo_playbook.services.actor import Actor

LIST_LIMIT = 100


def list_my_reports(conn: psycopg.Connection[Any], actor: Actor) -> list[GapReport]:
    """The reports filed about the actor's own sessions, newest first (none for a visitor
    without a session cookie)."""
    owner = actor.owner_key
    if owner is None:
        return []
    return UserFeedbackRepository(conn).list_for_owner(owner, LIST_LIMIT)
