"""Gap report → change proposal: the draft the triage page prefills (the report's question and
conversation, the SOP section the suggestion points at, its current text and the suggested
change) and filing it, linked both ways (`proposal.sourceFeedbackId`, `report.proposalId`).

The same permission rules as the API: reading the report needs triage rights (admins and
proposal approvers), filing the proposal needs `canCreateProposals`.
"""

from __future__ import annotations

from typing import Any

import psycopg

from pmo_playbook.documents.feedback import GapReport
from pmo_playbook.documents.sop_markdown import section_body, section_titles
from pmo_playbook.errors import NotFound
from pmo_playbook.repositories.chat_histories import ChatHistoryRepository
from pmo_playbook.repositories.human_sops import HumanSopRepository
from pmo_playbook.repositories.user_feedback import UserFeedbackRepository
from pmo_playbook.services.actor import Actor, Permission
from pmo_playbook.services.gap_outcomes import record_outcome
from pmo_playbook.services.proposals import create_proposal
from pmo_playbook.services.sessions import can_triage, require
from pmo_playbook.services.sop_access import require_permission

CONTEXT_MESSAGES = 20


def _report(conn: psycopg.Connection[Any], actor: Actor, key: str) -> GapReport:
    require(actor, can_triage(actor), "review gap reports")
    report = UserFeedbackRepository(conn).find(key)
    if report is None:
        raise NotFound("Feedback not found", details={"id": key})
    return report


def _conversation(conn: psycopg.Connection[Any], session_id: str | None) -> list[dict[str, str]]:
    session = ChatHistoryRepository(conn).get_session(session_id) if session_id else None
    messages = session.messages if session else []
    return [
        {"role": str(m["role"]), "content": str(m["content"])}
        for m in messages[-CONTEXT_MESSAGES:]
        if m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str)
    ]


def _pick_section(titles: list[str], suggestion: str, wanted: str | None) -> str | None:
    """The requested section, else the first one the suggestion names, else the first."""
    if wanted and wanted in titles:
        return wanted
    lowered = suggestion.lower()
    named = [t for t in titles if t.lower() in lowered]
    return named[0] if named else (titles[0] if titles else None)


def proposal_draft(
    conn: psycopg.Connection[Any], actor: Actor, key: str, section: str | None = None
) -> dict[str, Any]:
    """The prefilled proposal for gap report `key` (optionally for another `section`)."""
    require_permission(actor, Permission.CREATE_PROPOSALS, "propose SOP changes")
    report = _report(conn, actor, key)
    data = report.data
    sop_id = str(data.get("sopId") or "")
    human = HumanSopRepository(conn).get(sop_id) if sop_id else None
    markdown = human.markdown if human else ""
    suggestion = data.get("aiSuggestion") or {}
    advice = str(suggestion.get("content") or "") if isinstance(suggestion, dict) else ""
    why = str(suggestion.get("rationale") or "") if isinstance(suggestion, dict) else ""
    titles = section_titles(markdown)
    chosen = _pick_section(titles, advice, section)
    original = (section_body(markdown, chosen) or "") if chosen else ""
    suggested = (original.rstrip() + "\n\n" if original.strip() else "") + advice
    comment = str(data.get("userComment") or "")
    return {
        "feedbackId": report.feedback_id,
        "sopId": sop_id,
        "sopTitle": human.title if human else data.get("sopTitle"),
        "sopVersion": human.version if human else None,
        "sections": titles,
        "section": chosen or "",
        "originalContent": original,
        "suggestedContent": suggested,
        "rationale": f"Gap report {report.feedback_id}: {comment}" + (f"\n\n{why}" if why else ""),
        "triggerQuery": str(data.get("userQuestion") or ""),
        "priority": report.priority if report.priority in ("low", "medium", "high") else "medium",
        "conversation": _conversation(conn, report.session_id),
        "proposalId": data.get("proposalId"),
    }


def propose_from_gap_report(
    conn: psycopg.Connection[Any], actor: Actor, key: str, change: dict[str, Any]
) -> dict[str, Any]:
    """File the proposal for gap report `key` from the reviewed draft `change` ({section,
    originalContent, suggestedContent, rationale, changeType, priority}); the report moves to
    "ongoing" and records the proposal. Returns the proposal (an existing one when a similar
    pending proposal already covers this section: the report is linked to it)."""
    report = _report(conn, actor, key)
    data = report.data
    body = {
        "sopId": data.get("sopId"),
        "triggerQuery": data.get("userQuestion"),
        "proposedChange": {k: change.get(k, "") for k in _CHANGE_KEYS},
        "priority": change.get("priority") or None,
        "metrics": {"confidenceScore": _confidence(data.get("confidence"))},
        "conversationContext": {
            "sessionId": report.session_id or "",
            "messages": _conversation(conn, report.session_id),
            "timestamp": data.get("createdAt"),
        },
        "sourceFeedbackId": report.feedback_id,
    }
    proposal, _, _ = create_proposal(conn, actor, body)
    sop_id = str(data.get("sopId") or "")
    record_outcome(conn, report.feedback_id, str(proposal["proposalId"]), "proposed", sop_id=sop_id)
    return proposal


_CHANGE_KEYS = ("section", "originalContent", "suggestedContent", "rationale", "changeType")


def _confidence(value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1
    return float(value) if ok else 0.5
