"""Admin review of the legacy change proposals: filters with counts from the service (D36),
review with approve / reject (reason required) / implement / comment, side-by-side change.

After an action the page is rendered again from the service, so the SOP title, the status and
the counts are current (D36: no stale "pending" items, no undefined title)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from pmo_playbook.documents.proposals import PROPOSAL_STATUSES
from pmo_playbook.services.proposals import act_on_proposal, get_proposal, list_proposals
from pmo_playbook.web.deps import AppSettings, Conn, CurrentActor
from pmo_playbook.web.pages.admin_common import admin_render, redirect_to, require_login

router = APIRouter(include_in_schema=False)

FILTERS = (
    ("pending_review", "Pending Review"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("implemented", "Implemented"),
    ("", "All"),
)
ACTIONS = ("approve", "reject", "implement", "review")
LIST_LIMIT = 100


def _count(conn: Any, actor: Any, status: str | None) -> int:
    result = list_proposals(conn, actor, status=status, priority=None, sop_id=None, limit=1, skip=0)
    return int(result["pagination"]["total"])


def _list_context(conn: Any, actor: Any, status: str) -> dict[str, Any]:
    chosen = (
        status if status in PROPOSAL_STATUSES else ("" if status == "all" else "pending_review")
    )
    filters = [
        {"key": key or "all", "label": label, "count": _count(conn, actor, key or None)}
        for key, label in FILTERS
    ]
    result = list_proposals(
        conn, actor, status=chosen or None, priority=None, sop_id=None, limit=LIST_LIMIT, skip=0
    )
    return {"filters": filters, "status": chosen or "all", "items": result["proposals"]}


@router.get("/admin/proposals", response_model=None)
def proposals_page(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    status: str = "pending_review",
    selected: str | None = None,
    done: str | None = None,
) -> Response:
    """The proposals list (pending first by default) and the selected proposal's review."""
    require_login(actor)
    context = _list_context(conn, actor, status)
    context["proposal"] = get_proposal(conn, actor, selected) if selected else None
    context["notice"] = f"Proposal {done} successfully" if done in _PAST.values() else None
    context["errors"] = {}
    return admin_render(
        request, conn, actor, settings, "proposals", "admin/proposals.html", context
    )


def _refused(
    request: Request,
    conn: Any,
    actor: Any,
    settings: Any,
    status: str,
    proposal_id: str,
    comments: str,
    error: str,
) -> Response:
    """The review again, the typed comment kept and the error beside the comment field."""
    context = _list_context(conn, actor, status)
    context["proposal"] = get_proposal(conn, actor, proposal_id)
    context["errors"] = {"comments": error}
    context["comments"] = comments
    return admin_render(
        request, conn, actor, settings, "proposals", "admin/proposals.html", context, status=422
    )


_PAST = {
    "approve": "approved",
    "reject": "rejected",
    "implement": "implemented",
    "review": "reviewed",
    "created": "created",
}


@router.post("/admin/proposals/act", response_model=None)
def proposal_act(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    proposal_id: Annotated[str, Form(min_length=1, max_length=200)],
    action: Annotated[str, Form(pattern="^(approve|reject|implement|review)$")],
    comments: Annotated[str, Form(max_length=5000)] = "",
    status: Annotated[str, Form(max_length=20)] = "pending_review",
) -> Response:
    """Apply one review action to exactly `proposal_id`."""
    body: dict[str, Any] = {"action": action}
    if action == "reject" and not comments.strip():
        message = "Give the reason for rejecting: the reporter sees it"
        return _refused(request, conn, actor, settings, status, proposal_id, comments, message)
    if action == "reject":
        body["reason"] = comments
    elif comments.strip():
        body["comments"] = comments
    act_on_proposal(conn, actor, proposal_id, body)
    target = f"/admin/proposals?status={status}&selected={proposal_id}&done={_PAST[action]}"
    return redirect_to(request, target)
