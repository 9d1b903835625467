"""JSON API routers at the legacy paths; `api_routers()` lists every module's `router`."""

from __future__ import annotations

from fastapi import APIRouter

from pmo_playbook.web.api import (
    analytics,
    auth,
    chat,
    chat_history,
    content,
    files,
    health,
    message_feedback,
    projects,
    proposals,
    sessions,
    sops,
    user_feedback,
)


def api_routers() -> list[APIRouter]:
    """Every JSON router, in the order they are mounted."""
    return [
        health.router,
        projects.router,
        content.router,
        files.router,
        sops.router,
        proposals.router,
        sessions.router,
        chat.router,
        chat_history.router,
        user_feedback.router,
        message_feedback.router,
        analytics.router,
        auth.router,
    ]
