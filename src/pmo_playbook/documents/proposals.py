"""Change proposals (legacy collection `change_proposals`, §1.4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from pmo_playbook.documents.common import render_row
from pmo_playbook.documents.registry import change_proposals

PROPOSAL_STATUSES = change_proposals.STATUSES
PROPOSAL_PRIORITIES = change_proposals.PRIORITIES
PRIORITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1}
CHANGE_TYPES = ("addition", "modification", "deletion", "clarification")


class ProposalRow(BaseModel):
    """A row of `change_proposals`."""

    model_config = ConfigDict(frozen=True)

    id: int
    legacy_id: str | None
    proposal_id: str
    sop_id: str | None
    status: str
    priority: str
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    def to_legacy(self, human_sop: dict[str, Any] | None = None) -> dict[str, Any]:
        """The document as the API returns it; `human_sop` populates `humanSopId`."""
        out = render_row(self.legacy_id, self.data, self.created_at, self.updated_at)
        out.update(proposalId=self.proposal_id, status=self.status, priority=self.priority)
        if self.sop_id is not None:
            out["sopId"] = self.sop_id
        if human_sop is not None:
            out["humanSopId"] = human_sop
        return out
