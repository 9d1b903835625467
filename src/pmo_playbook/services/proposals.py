"""Change proposals (legacy §2.9) with the defects fixed: priority kept when chosen (D14), a
guarded state machine with working archive and implement (D15), race-free deduplication (D19),
rank ordering (D22), populated responses after actions (D36).
"""

from __future__ import annotations

import re
import secrets
import string
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from pmo_playbook.documents.common import from_iso, new_object_id, now_iso, to_iso
from pmo_playbook.documents.proposals import (
    CHANGE_TYPES,
    PROPOSAL_PRIORITIES,
    PROPOSAL_STATUSES,
    ProposalRow,
)
from pmo_playbook.documents.sop_markdown import normalize_newlines
from pmo_playbook.errors import BadRequest, InvalidInput, NotFound
from pmo_playbook.repositories.agent_sops import AgentSopRepository
from pmo_playbook.repositories.human_sops import HumanSopRepository
from pmo_playbook.repositories.proposals import ProposalRepository
from pmo_playbook.services.actor import Actor, Permission
from pmo_playbook.services.audit import record_action
from pmo_playbook.services.gap_outcomes import record_outcome
from pmo_playbook.services.proposal_rules import (
    HISTORY_ACTION,
    TRANSITIONS,
    apply_section_change,
    check_transition,
    computed_priority,
    extract_tags,
)
from pmo_playbook.services.sop_access import require_permission
from pmo_playbook.services.sops import apply_markdown

SOP_ID = re.compile(r"^SOP-\d{3,}$")
DEDUP_WINDOW = timedelta(hours=24)
_BASE36 = string.digits + string.ascii_lowercase


def _populate(
    conn: psycopg.Connection[Any], rows: list[ProposalRow], *, with_markdown: bool = False
) -> list[dict[str, Any]]:
    """Render proposals with `humanSopId` populated as {_id, title, version[, markdownContent]}."""
    ids = [str(r.data.get("humanSopId")) for r in rows if r.data.get("humanSopId")]
    humans = HumanSopRepository(conn).get_by_legacy_ids(ids) if ids else {}
    out = []
    for row in rows:
        human = humans.get(str(row.data.get("humanSopId")))
        populated = None
        if human is not None:
            populated = {"_id": human.legacy_id, "title": human.title, "version": human.version}
            if with_markdown:
                populated["markdownContent"] = human.markdown
        out.append(row.to_legacy(populated))
    return out


def list_proposals(
    conn: psycopg.Connection[Any],
    actor: Actor,
    *,
    status: str | None,
    priority: str | None,
    sop_id: str | None,
    limit: int,
    skip: int,
) -> dict[str, Any]:
    """GET /api/proposals: filtered, by priority rank, confidence, newest (D22)."""
    require_permission(actor, Permission.APPROVE_PROPOSALS, "review proposals")
    if priority is not None and priority not in PROPOSAL_PRIORITIES:
        raise InvalidInput("priority must be one of low, medium, high, critical")
    if status is not None and status not in PROPOSAL_STATUSES:
        raise InvalidInput("status must be one of " + ", ".join(PROPOSAL_STATUSES))
    rows, total = ProposalRepository(conn).page(
        status=status, priority=priority, sop_id=sop_id, limit=limit, skip=skip
    )
    return {
        "proposals": _populate(conn, rows),
        "pagination": {
            "total": total,
            "limit": limit,
            "skip": skip,
            "hasMore": skip + limit < total,
        },
    }


def get_proposal(conn: psycopg.Connection[Any], actor: Actor, proposal_id: str) -> dict[str, Any]:
    """GET /api/proposals/{id}, populated with the SOP's title, version and markdown."""
    require_permission(actor, Permission.APPROVE_PROPOSALS, "review proposals")
    row = ProposalRepository(conn).get(proposal_id)
    if row is None:
        raise NotFound("Proposal not found", details={"proposalId": proposal_id})
    return _populate(conn, [row], with_markdown=True)[0]


def _change(body: dict[str, Any]) -> dict[str, Any]:
    change = body.get("proposedChange")
    if not isinstance(change, dict):
        raise InvalidInput("proposedChange must be an object")
    out: dict[str, Any] = {}
    for key in ("section", "originalContent", "suggestedContent", "rationale"):
        value = change.get(key, "")
        if not isinstance(value, str):
            raise InvalidInput(f"proposedChange.{key} must be a string")
        out[key] = normalize_newlines(value)
    if not out["section"].strip():
        raise InvalidInput("proposedChange.section is required")
    change_type = change.get("changeType") or "clarification"
    if change_type not in CHANGE_TYPES:
        raise InvalidInput("proposedChange.changeType must be one of " + ", ".join(CHANGE_TYPES))
    out["changeType"] = change_type
    return out


def _confidence(body: dict[str, Any]) -> float:
    metrics = body.get("metrics") or {}
    value = metrics.get("confidenceScore", 0.7) if isinstance(metrics, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidInput("metrics.confidenceScore must be a number from 0 to 1")
    return float(value)


def _new_proposal_id() -> str:
    return f"PROP-{int(time.time() * 1000)}-" + "".join(secrets.choice(_BASE36) for _ in range(9))


def create_proposal(
    conn: psycopg.Connection[Any], actor: Actor, body: dict[str, Any]
) -> tuple[dict[str, Any], bool, int]:
    """POST /api/proposals → (proposal, isUpdate, similarCount)."""
    require_permission(actor, Permission.CREATE_PROPOSALS, "propose SOP changes")
    if not body.get("sopId") or not body.get("triggerQuery") or not body.get("proposedChange"):
        raise BadRequest("Missing required fields: sopId, triggerQuery, proposedChange")
    sop_id, query = body["sopId"], body["triggerQuery"]
    if not isinstance(sop_id, str) or not SOP_ID.match(sop_id) or not isinstance(query, str):
        raise InvalidInput("sopId must look like SOP-NNN and triggerQuery must be a string")
    change, confidence = _change(body), _confidence(body)
    chosen = body.get("priority")
    if chosen is not None and chosen not in PROPOSAL_PRIORITIES:
        raise InvalidInput("priority must be one of low, medium, high, critical")
    agent = AgentSopRepository(conn).get(sop_id)
    if agent is None:
        raise NotFound(f"SOP {sop_id} not found", details={"sopId": sop_id})
    repo = ProposalRepository(conn)
    similar = repo.lock_similar(sop_id, change["section"], change["changeType"])
    recent = _recent_pending(similar)
    if recent is not None:
        return _bump(conn, recent, len(similar)), True, len(similar)
    data: dict[str, Any] = {
        "sopId": sop_id,
        "humanSopId": agent.data.get("humanSopId"),
        "triggerQuery": query,
        "conversationContext": _context(body, query),
        "proposedChange": change,
        "status": "pending_review",
        "priority": chosen or computed_priority(1, confidence),
        "priorityChosen": chosen is not None,
        "reviewHistory": [_entry("submitted", actor)],
        "metrics": {
            "similarProposalsCount": len(similar),
            "affectedUsersCount": 1,
            "confidenceScore": confidence,
        },
        "tags": extract_tags(change),
    }
    source = body.get("sourceFeedbackId")
    if isinstance(source, str) and source:
        data["sourceFeedbackId"] = source  # the gap report this proposal answers
    row = repo.insert(_new_proposal_id(), new_object_id(), data)
    record_action(conn, actor, "proposal.create", "proposal", row.proposal_id, sopId=sop_id)
    return _populate(conn, [row])[0], False, len(similar)


def _recent_pending(similar: list[ProposalRow]) -> ProposalRow | None:
    cutoff = datetime.now(UTC) - DEDUP_WINDOW
    for row in similar:
        if row.status == "pending_review" and row.created_at > cutoff:
            return row
    return None


def _bump(conn: psycopg.Connection[Any], row: ProposalRow, similar_count: int) -> dict[str, Any]:
    """One more user hit the same gap: count them; recompute priority unless it was chosen."""
    metrics = dict(row.data.get("metrics") or {})
    metrics["affectedUsersCount"] = int(metrics.get("affectedUsersCount") or 1) + 1
    metrics["similarProposalsCount"] = similar_count
    priority = row.priority
    if not row.data.get("priorityChosen"):
        confidence = float(metrics.get("confidenceScore") or 0)
        priority = computed_priority(metrics["affectedUsersCount"], confidence)
    updated = ProposalRepository(conn).update(
        row, {"metrics": metrics}, status=row.status, priority=priority
    )
    return _populate(conn, [updated])[0]


def _context(body: dict[str, Any], query: str) -> dict[str, Any]:
    given = body.get("conversationContext")
    if isinstance(given, dict) and isinstance(given.get("sessionId"), str):
        messages = [
            {"role": str(m.get("role")), "content": str(m.get("content"))}
            for m in given.get("messages") or []
            if isinstance(m, dict) and m.get("role") and m.get("content")
        ]
        stamp = given.get("timestamp")
        try:
            timestamp = to_iso(from_iso(str(stamp))) if isinstance(stamp, str) else now_iso()
        except ValueError:
            timestamp = now_iso()
        return {"sessionId": given["sessionId"], "messages": messages, "timestamp": timestamp}
    return {
        "sessionId": f"session-{int(time.time() * 1000)}",
        "messages": [{"role": "user", "content": query}],
        "timestamp": now_iso(),
    }


def _entry(action: str, actor: Actor, comments: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"action": action, "performedBy": actor.display, "timestamp": now_iso()}
    if comments:
        entry["comments"] = comments
    return entry


def act_on_proposal(
    conn: psycopg.Connection[Any], actor: Actor, proposal_id: str, body: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """PATCH /api/proposals/{id} {action, comments?, reason?} → (populated proposal, message)."""
    require_permission(actor, Permission.APPROVE_PROPOSALS, "review proposals")
    action = body.get("action")
    if not isinstance(action, str) or action not in TRANSITIONS:  # {} or [] is unhashable
        raise BadRequest("Invalid action. Use: approve, reject, review, implement, or archive")
    repo = ProposalRepository(conn)
    row = repo.get(proposal_id, lock=True)
    if row is None:
        raise NotFound("Proposal not found", details={"proposalId": proposal_id})
    comments, reason = body.get("comments"), body.get("reason")
    if action == "reject" and not (isinstance(reason, str) and reason.strip()):
        raise BadRequest("Rejection reason is required")
    for name, value in (("comments", comments), ("reason", reason)):
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{name} must be a string")
    target = check_transition(str(action), row.status, proposal_id)
    note = reason if action == "reject" else comments
    patch: dict[str, Any] = {}
    if action == "implement":
        patch["implementationDetails"] = _implement(conn, actor, row)
    history = [
        *(row.data.get("reviewHistory") or []),
        _entry(HISTORY_ACTION[str(action)], actor, note),
    ]
    patch["reviewHistory"] = history
    updated = repo.update(row, patch, status=target or row.status, priority=row.priority)
    _tell_reporter(conn, updated, note if action == "reject" else None)
    record_action(conn, actor, f"proposal.{action}", "proposal", proposal_id, status=updated.status)
    message = f"Proposal {HISTORY_ACTION[str(action)]} successfully"
    return _populate(conn, [updated])[0], message


def _tell_reporter(conn: psycopg.Connection[Any], row: ProposalRow, reason: str | None) -> None:
    """Write the proposal's new state onto the gap report it came from, if any."""
    source = row.data.get("sourceFeedbackId")
    if not isinstance(source, str) or not source:
        return
    details = row.data.get("implementationDetails") or {}
    version = details.get("newVersion") if isinstance(details, dict) else None
    record_outcome(
        conn,
        source,
        row.proposal_id,
        row.status,
        sop_id=row.sop_id,
        new_version=version if isinstance(version, int) else None,
        reason=reason,
    )


def _implement(conn: psycopg.Connection[Any], actor: Actor, row: ProposalRow) -> dict[str, Any]:
    """Apply the suggested change to the SOP section through the SOP versioning."""
    change = row.data.get("proposedChange") or {}
    human = HumanSopRepository(conn).get(str(row.sop_id), lock=True)
    if human is None:
        raise NotFound(f"SOP {row.sop_id} not found", details={"sopId": row.sop_id})
    markdown = apply_section_change(
        human.markdown,
        str(change.get("section") or ""),
        str(change.get("originalContent") or ""),
        str(change.get("suggestedContent") or ""),
        row.proposal_id,
    )
    outcome = apply_markdown(
        conn, actor, human.sop_id, markdown, reason=f"Implements proposal {row.proposal_id}"
    )
    return {
        "newVersion": outcome.human.version,
        "implementedAt": now_iso(),
        "implementedBy": actor.display,
        "rollbackVersion": human.version,
    }


def archive_proposal(
    conn: psycopg.Connection[Any], actor: Actor, proposal_id: str
) -> tuple[dict[str, Any], str]:
    """DELETE /api/proposals/{id}: archive (any status but implemented/archived)."""
    return act_on_proposal(conn, actor, proposal_id, {"action": "archive"})
