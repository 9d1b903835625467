"""What happened to a gap report: its proposal's review decisions are written back onto the
report (status and `outcome`), so the reporter sees them on "My reports" and the triage page
shows them beside the report.

Statuses follow the proposal: proposed/approved → ongoing, implemented → completed,
rejected/archived → closed. Comments alone change nothing.
"""

from __future__ import annotations

from typing import Any

import psycopg

from pmo_playbook.documents.common import now_iso
from pmo_playbook.repositories.user_feedback import UserFeedbackRepository

REPORT_STATUS = {
    "proposed": "ongoing",
    "approved": "ongoing",
    "implemented": "completed",
    "rejected": "closed",
    "archived": "closed",
}


def record_outcome(
    conn: psycopg.Connection[Any],
    feedback_id: str,
    proposal_id: str,
    state: str,
    *,
    sop_id: str | None = None,
    new_version: int | None = None,
    reason: str | None = None,
) -> None:
    """Write `state` of `proposal_id` onto the gap report `feedback_id` (no-op when the report
    is gone or the state does not move it)."""
    status = REPORT_STATUS.get(state)
    repo = UserFeedbackRepository(conn)
    report = repo.find(feedback_id) if status else None
    if report is None or status is None:
        return
    stamp = now_iso()
    outcome: dict[str, Any] = {"state": state, "proposalId": proposal_id, "at": stamp}
    if sop_id:
        outcome["sopId"] = sop_id
    if new_version is not None:
        outcome["newVersion"] = new_version
    if reason:
        outcome["reason"] = reason
    patch = {"outcome": outcome, "proposalId": proposal_id, "status": status, "updatedAt": stamp}
    repo.update(report.pk, patch, status, None)
