"""Admin gap-report triage (`/admin/user-feedback`) and the conversation viewer.

The detail is rendered from the report named in the URL on every request and its form carries
the report id explicitly (D35); status, priority and notes are saved through the service that
fixes D20/D23; the suggestion is read from the report (composed once, D26) and regenerated only
on request. The conversation viewer highlights the reported answer by its stable id (D28).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from pmo_playbook.documents.feedback import FEEDBACK_PRIORITIES, FEEDBACK_STATUSES
from pmo_playbook.services.gap_reports import (
    UPDATED,
    get_gap_report,
    list_gap_reports,
    regenerate_suggestion,
    update_gap_report,
)
from pmo_playbook.services.sessions import get_thread
from pmo_playbook.web.deps import AppSettings, Conn, CurrentActor
from pmo_playbook.web.pages.admin_common import (
    admin_render,
    redirect_to,
    require_login,
    require_triager,
)

router = APIRouter(include_in_schema=False)

STATUS_LABELS = {
    "pending": "Pending Review",
    "ongoing": "In Progress",
    "completed": "Completed",
    "closed": "Closed",
}
PRIORITY_LABELS = {"low": "Low", "medium": "Medium", "high": "High"}
LIST_LIMIT = 100
KeyField = Annotated[str, Form(min_length=1, max_length=200)]


def _list_context(conn: Any, actor: Any, status: str | None) -> dict[str, Any]:
    chosen = status if status in FEEDBACK_STATUSES else None
    page = list_gap_reports(conn, actor, {"status": chosen}, LIST_LIMIT, 0)
    counts = page.status_counts
    filters = [{"key": "", "label": "All Feedback", "count": page.total_reports}]
    filters += [
        {"key": key, "label": STATUS_LABELS[key], "count": counts.get(key, 0)}
        for key in FEEDBACK_STATUSES
    ]
    return {
        "filters": filters,
        "status": chosen or "",
        "items": page.reports,
        "total": page.total_reports,
        "status_labels": STATUS_LABELS,
        "priority_labels": PRIORITY_LABELS,
    }


@router.get("/admin/user-feedback", response_model=None)
def feedback_list(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    status: str | None = None,
) -> Response:
    """The gap reports with status filters and global counts."""
    require_login(actor)
    context = {**_list_context(conn, actor, status), "report": None}
    return admin_render(
        request, conn, actor, settings, "user-feedback", "admin/feedback.html", context
    )


@router.get("/admin/user-feedback/{key}", response_model=None)
def feedback_detail(
    request: Request,
    key: str,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    status: str | None = None,
    saved: int = 0,
) -> Response:
    """One report beside the list."""
    require_login(actor)
    context = {
        **_list_context(conn, actor, status),
        "report": get_gap_report(conn, actor, key),
        "statuses": FEEDBACK_STATUSES,
        "priorities": FEEDBACK_PRIORITIES,
        "notice": UPDATED if saved else None,
    }
    return admin_render(
        request, conn, actor, settings, "user-feedback", "admin/feedback.html", context
    )


@router.post("/admin/user-feedback/update", response_model=None)
def feedback_update(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    feedback_id: KeyField,
    status: Annotated[str, Form(max_length=20)] = "",
    priority: Annotated[str, Form(max_length=20)] = "",
    admin_notes: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Save status, priority and notes of exactly `feedback_id`."""
    changes = {"status": status or None, "priority": priority or None, "adminNotes": admin_notes}
    update_gap_report(conn, actor, feedback_id, changes)
    return redirect_to(request, f"/admin/user-feedback/{feedback_id}?saved=1")


@router.post("/admin/user-feedback/suggestion", response_model=None)
def feedback_suggestion(
    request: Request, conn: Conn, actor: CurrentActor, feedback_id: KeyField
) -> Response:
    """Compose the improvement suggestion again (e.g. after the SOP changed)."""
    regenerate_suggestion(conn, actor, feedback_id)
    return redirect_to(request, f"/admin/user-feedback/{feedback_id}")


@router.get("/admin/conversations/{session_id}", response_model=None)
def conversation(
    request: Request,
    session_id: str,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    highlight: str | None = None,
    back: str | None = None,
) -> Response:
    """The full thread of a session with the reported message highlighted."""
    require_triager(actor)
    thread = get_thread(conn, actor, session_id, highlight)
    back_link = back if back and back.startswith("/admin/") else "/admin/user-feedback"
    context = {"thread": thread, "back": back_link}
    return admin_render(
        request, conn, actor, settings, "user-feedback", "admin/conversation.html", context
    )
