"""Gap report → change proposal (`/admin/user-feedback/{id}/propose`): the form prefilled by
`services.gap_proposals.proposal_draft`, filed by `propose_from_gap_report`.

Choosing another section reloads the form for it (a GET with `?section=`, works without
JavaScript). A refused proposal (empty section, no such SOP) renders the form again with the
typed text kept and the error next to the field it is about.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from pmo_playbook.documents.proposals import CHANGE_TYPES
from pmo_playbook.errors import Conflict, InvalidInput, NotFound
from pmo_playbook.services.gap_proposals import proposal_draft, propose_from_gap_report
from pmo_playbook.web.deps import AppSettings, Conn, CurrentActor
from pmo_playbook.web.pages.admin_common import admin_render, redirect_to, require_login

router = APIRouter(include_in_schema=False)

PRIORITIES = ("low", "medium", "high", "critical")
Text = Annotated[str, Form(max_length=50_000)]


def _form(
    request: Request,
    conn: Any,
    actor: Any,
    settings: Any,
    draft: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context = {
        "draft": draft,
        "errors": errors or {},
        "change_types": CHANGE_TYPES,
        "priorities": PRIORITIES,
    }
    return admin_render(
        request, conn, actor, settings, "user-feedback", "admin/propose.html", context, status
    )


@router.get("/admin/user-feedback/{key}/propose", response_model=None)
def propose_form(
    request: Request,
    key: str,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    section: str | None = None,
) -> Response:
    """The proposal form prefilled from the report, its conversation and the SOP section."""
    require_login(actor)
    return _form(request, conn, actor, settings, proposal_draft(conn, actor, key, section))


def _field_of(message: str) -> str:
    for field in ("section", "suggestedContent", "originalContent", "changeType", "priority"):
        if field.lower() in message.lower().replace(" ", ""):
            return field
    return "suggestedContent" if "original content" in message else "section"


@router.post("/admin/user-feedback/propose", response_model=None)
def propose(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    feedback_id: Annotated[str, Form(min_length=1, max_length=200)],
    section: Annotated[str, Form(max_length=300)] = "",
    original_content: Text = "",
    suggested_content: Text = "",
    rationale: Text = "",
    change_type: Annotated[str, Form(max_length=30)] = "clarification",
    priority: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """File the reviewed proposal; the report is linked to it and moves to "In progress"."""
    require_login(actor)
    change = {
        "section": section,
        "originalContent": original_content,
        "suggestedContent": suggested_content,
        "rationale": rationale,
        "changeType": change_type,
        "priority": priority,
    }
    errors: dict[str, str] = {}
    if not suggested_content.strip():
        errors["suggestedContent"] = "Describe the change: the proposed content is empty"
    if not errors:
        try:
            with conn.transaction():
                proposal = propose_from_gap_report(conn, actor, feedback_id, change)
        except (InvalidInput, Conflict, NotFound) as error:
            errors[_field_of(error.message)] = error.message
    if errors:
        draft = {**proposal_draft(conn, actor, feedback_id, section or None)}
        draft.update(
            section=section,
            originalContent=original_content,
            suggestedContent=suggested_content,
            rationale=rationale,
            changeType=change_type,
            priority=priority or draft["priority"],
        )
        return _form(request, conn, actor, settings, draft, errors, status=422)
    target = (
        f"/admin/proposals?status=pending_review&selected={proposal['proposalId']}&done=created"
    )
    return redirect_to(request, target)
