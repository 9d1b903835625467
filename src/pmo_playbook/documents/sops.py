"""SOP documents: human SOPs (§1.1), agent SOPs (§1.2) and their version history (§1.8)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from pmo_playbook.documents.common import render_row, to_iso
from pmo_playbook.documents.registry import agent_sops, sop_version_history

SOP_SECTION_KEYS = agent_sops.SECTION_KEYS
SOP_TYPES = sop_version_history.SOP_TYPES


class _SopRow(BaseModel):
    """What the `human_sops` and `agent_sops` rows share (columns and legacy rendering)."""

    model_config = ConfigDict(frozen=True)

    id: int
    legacy_id: str | None
    sop_id: str
    phase: int
    version: int
    is_active: bool
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @property
    def title(self) -> str:
        return str(self.data.get("title") or "")

    def to_legacy(self) -> dict[str, Any]:
        """The document as the API returns it (typed columns win over `data`)."""
        out = render_row(self.legacy_id, self.data, self.created_at, self.updated_at)
        out.update(sopId=self.sop_id, phase=self.phase, version=self.version)
        out["isActive"] = self.is_active
        return out


class HumanSopRow(_SopRow):
    """A row of `human_sops`."""

    @property
    def markdown(self) -> str:
        return str(self.data.get("markdownContent") or "")


class AgentSopRow(_SopRow):
    """A row of `agent_sops`."""

    human_sop_id: int | None

    def ai_context(self) -> dict[str, Any]:
        """Legacy `generateAIContext()`: what the chat and content-db?type=agent return."""
        return {
            "sopId": self.sop_id,
            "title": self.title,
            "phase": self.phase,
            "summary": self.data.get("summary"),
            "sections": self.data.get("sections") or {},
            "keywords": self.data.get("keywords") or [],
            "relatedSops": self.data.get("relatedSopIds") or [],
        }


class SopVersionRow(BaseModel):
    """A row of `sop_version_histories`."""

    model_config = ConfigDict(frozen=True)

    legacy_id: str | None
    sop_id: str
    sop_type: str
    version: int
    change_type: str | None
    data: dict[str, Any]
    created_at: datetime

    def summary(self) -> dict[str, Any]:
        """The entry without its content snapshot (legacy `getHistory`)."""
        return {
            "_id": self.legacy_id,
            "sopId": self.sop_id,
            "sopType": self.sop_type,
            "version": self.version,
            "changeType": self.change_type,
            "changedBy": self.data.get("changedBy"),
            "changeReason": self.data.get("changeReason"),
            "metadata": self.data.get("metadata") or {},
            "createdAt": to_iso(self.created_at),
        }

    def to_legacy(self) -> dict[str, Any]:
        out = self.summary()
        out["content"] = self.data.get("content")
        return out
