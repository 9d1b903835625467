"""Human SOP → agent SOP (legacy `sop-regenerator.ts`, §3.3), inside the caller's transaction.

Differences from the legacy regenerator: it runs in the same transaction as the human edit
(D13: a failure leaves nothing saved), the phase and related SOPs come from the SOP itself
(D11), roles survive (D12), and the version history records who did it. The chat's passage
index (`ai.indexer.reindex_sop`) is rebuilt right after the agent SOP is saved, in the same
transaction: a called function, not a registered listener, so every caller (web or CLI) gets it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

from pmo_playbook.ai.indexer import reindex_sop
from pmo_playbook.documents.common import new_object_id, now_iso
from pmo_playbook.documents.sop_parser import (
    ParsedSop,
    ValidationResult,
    parse_sop_markdown,
    searchable_content,
    validate_sop_structure,
)
from pmo_playbook.documents.sops import AgentSopRow, HumanSopRow
from pmo_playbook.errors import InvalidInput, PmoError
from pmo_playbook.repositories.agent_sops import AgentSopRepository
from pmo_playbook.repositories.human_sops import HumanSopRepository
from pmo_playbook.repositories.sop_versions import SopVersionRepository


@dataclass
class RegenerationResult:
    """Legacy `RegenerationResult {success, message, agentSOP?, errors?, warnings?}`."""

    success: bool
    message: str
    sop_id: str
    agent: AgentSopRow | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_legacy(self) -> dict[str, Any]:
        out: dict[str, Any] = {"success": self.success, "message": self.message}
        out["sopId"] = self.sop_id
        out["errors"] = self.errors
        out["warnings"] = self.warnings
        out["agentSOPVersion"] = self.agent.version if self.agent else None
        return out


def parse_and_validate(
    markdown: str, sop_id: str, existing_phase: int | None
) -> tuple[ParsedSop, ValidationResult]:
    """Parse a SOP and check it (§3.2.3)."""
    parsed = parse_sop_markdown(markdown, sop_id, existing_phase)
    return parsed, validate_sop_structure(parsed)


def raise_if_invalid(sop_id: str, result: ValidationResult) -> None:
    """D13: an invalid SOP is refused with 422 naming every validation error."""
    if not result.is_valid:
        raise InvalidInput(
            f"SOP {sop_id} validation failed: " + "; ".join(result.errors),
            details={"errors": result.errors, "warnings": result.warnings},
        )


def agent_document(
    human: HumanSopRow, parsed: ParsedSop, version: int, existing: AgentSopRow | None
) -> dict[str, Any]:
    """The agent SOP document built from a parsed human SOP."""
    return {
        "sopId": human.sop_id,
        "humanSopId": human.legacy_id,
        "title": parsed.title,
        "phase": parsed.phase,
        "summary": parsed.summary[:500],
        "description": parsed.description or parsed.summary,
        "sections": parsed.sections,
        "keywords": parsed.keywords,
        "relatedSopIds": parsed.related_sop_ids,
        "version": version,
        "isActive": existing.is_active if existing else True,
        "lastSyncedAt": now_iso(),
    }


def save_agent_from_parsed(
    conn: psycopg.Connection[Any],
    human: HumanSopRow,
    parsed: ParsedSop,
    *,
    changed_by: str,
    change_type: str,
    warnings: list[str],
) -> AgentSopRow:
    """Write the agent SOP (new version), its history entry, then its passages."""
    agents = AgentSopRepository(conn)
    existing = agents.get(human.sop_id, lock=True)
    version = existing.version + 1 if existing else 1
    document = agent_document(human, parsed, version, existing)
    legacy_id = existing.legacy_id if existing and existing.legacy_id else new_object_id()
    saved = agents.save(human.sop_id, legacy_id, human.id, document, searchable_content(document))
    metadata: dict[str, Any] = {"regenerationWarnings": warnings}
    if existing:
        metadata["previousVersion"] = existing.version
    SopVersionRepository(conn).insert(
        sop_id=human.sop_id,
        sop_type="agent",
        version=version,
        change_type=change_type if existing else "create",
        legacy_id=new_object_id(),
        data={
            "sopId": human.sop_id,
            "sopType": "agent",
            "version": version,
            "content": saved.to_legacy(),
            "changedBy": changed_by,
            "changeType": change_type if existing else "create",
            "metadata": metadata,
        },
    )
    # The chat's passage index follows the save in the same transaction, so a new SOP is
    # answerable as soon as it commits and a failed rebuild rolls the save back.
    reindex_sop(conn, human.sop_id)
    return saved


def regenerate_from_human(
    conn: psycopg.Connection[Any], human: HumanSopRow, *, changed_by: str
) -> RegenerationResult:
    """Regenerate one agent SOP from its stored human SOP. Invalid SOPs write nothing; the
    result says why (the legacy route answers 200 with success false)."""
    parsed, check = parse_and_validate(human.markdown, human.sop_id, human.phase)
    if not check.is_valid:
        return RegenerationResult(
            success=False,
            message="SOP validation failed",
            sop_id=human.sop_id,
            errors=check.errors,
            warnings=check.warnings,
        )
    had_agent = AgentSopRepository(conn).get(human.sop_id) is not None
    agent = save_agent_from_parsed(
        conn,
        human,
        parsed,
        changed_by=changed_by,
        change_type="regenerate",
        warnings=check.warnings,
    )
    message = (
        f"AgentSOP {human.sop_id} regenerated successfully (v{agent.version})"
        if had_agent
        else f"AgentSOP {human.sop_id} created successfully"
    )
    return RegenerationResult(True, message, human.sop_id, agent, [], check.warnings)


def regenerate_by_id(
    conn: psycopg.Connection[Any], sop_id: str, *, changed_by: str
) -> RegenerationResult:
    """`regenerateAgentSOP(sopId)`: a missing human SOP is a failed result, not an error."""
    human = HumanSopRepository(conn).get(sop_id, lock=True)
    if human is None:
        return RegenerationResult(False, f"HumanSOP with ID {sop_id} not found", sop_id)
    try:
        with conn.transaction():  # a savepoint: one failing SOP never undoes the others
            return regenerate_from_human(conn, human, changed_by=changed_by)
    except PmoError as exc:
        return RegenerationResult(False, f"Failed to regenerate AgentSOP: {exc.message}", sop_id)
