"""SOP content: read human/agent SOPs, edit (D9, D10, D13), create with atomic SOP- ids.

An edit raises the human version by exactly one, re-derives the title from the H1, records the
human version and regenerates the agent SOP in the same transaction; an invalid SOP saves
nothing (422 naming the validation errors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from pmo_playbook.documents.common import new_object_id, to_iso
from pmo_playbook.documents.ids import check_new_id
from pmo_playbook.documents.sop_markdown import normalize_newlines
from pmo_playbook.documents.sop_parser import parse_phase
from pmo_playbook.documents.sops import AgentSopRow, HumanSopRow
from pmo_playbook.errors import BadRequest, Conflict, InvalidInput, NotFound
from pmo_playbook.repositories.agent_sops import AgentSopRepository
from pmo_playbook.repositories.human_sops import HumanSopRepository
from pmo_playbook.repositories.ids import IdRepository
from pmo_playbook.repositories.sop_versions import SopVersionRepository
from pmo_playbook.services.actor import Actor, Permission
from pmo_playbook.services.audit import record_action
from pmo_playbook.services.sop_access import require_permission, require_reader
from pmo_playbook.services.sop_regeneration import (
    RegenerationResult,
    parse_and_validate,
    raise_if_invalid,
    regenerate_by_id,
    save_agent_from_parsed,
)

MAX_TITLE = 200


@dataclass(frozen=True)
class EditOutcome:
    """What an edit wrote: the new human row, the new agent row, the parser's warnings."""

    human: HumanSopRow
    agent: AgentSopRow
    warnings: list[str]

    def to_legacy(self) -> dict[str, Any]:
        """The legacy PUT /api/content-db success body."""
        return {
            "success": True,
            "sop": {
                "sopId": self.human.sop_id,
                "title": self.human.title,
                "version": self.human.version,
                "updatedAt": to_iso(self.human.updated_at),
            },
            "agentSOPRegenerated": True,
            "agentSOPVersion": self.agent.version,
            "regenerationWarnings": self.warnings,
        }


def get_human_sop(
    conn: psycopg.Connection[Any], actor: Actor, sop_id: str, *, public_read: bool = True
) -> HumanSopRow:
    """The active human SOP, or NotFound('SOP not found')."""
    require_reader(actor, public_read)
    row = HumanSopRepository(conn).get(sop_id)
    if row is None:
        raise NotFound("SOP not found", details={"sopId": sop_id})
    return row


def get_agent_sop(
    conn: psycopg.Connection[Any], actor: Actor, sop_id: str, *, public_read: bool = True
) -> AgentSopRow:
    """The active agent SOP, or NotFound('SOP not found')."""
    require_reader(actor, public_read)
    row = AgentSopRepository(conn).get(sop_id, active_only=True)
    if row is None:
        raise NotFound("SOP not found", details={"sopId": sop_id})
    return row


def list_human_sops(
    conn: psycopg.Connection[Any], actor: Actor, *, public_read: bool = True
) -> list[HumanSopRow]:
    """Active human SOPs by phase."""
    require_reader(actor, public_read)
    return HumanSopRepository(conn).list_active()


def list_agent_sops(
    conn: psycopg.Connection[Any], actor: Actor, *, public_read: bool = True
) -> list[AgentSopRow]:
    """Active agent SOPs by phase, then id."""
    require_reader(actor, public_read)
    return AgentSopRepository(conn).list_active()


def _record_human_version(
    conn: psycopg.Connection[Any],
    human: HumanSopRow,
    *,
    change_type: str,
    changed_by: str,
    reason: str | None = None,
    previous: int | None = None,
) -> None:
    data: dict[str, Any] = {
        "sopId": human.sop_id,
        "sopType": "human",
        "version": human.version,
        "content": human.to_legacy(),
        "changedBy": changed_by,
        "changeType": change_type,
        "metadata": {} if previous is None else {"previousVersion": previous},
    }
    if reason:
        data["changeReason"] = reason
    SopVersionRepository(conn).insert(
        sop_id=human.sop_id,
        sop_type="human",
        version=human.version,
        change_type=change_type,
        legacy_id=new_object_id(),
        data=data,
    )


def _ensure_baseline(conn: psycopg.Connection[Any], human: HumanSopRow) -> None:
    """Snapshot the version being replaced when history lacks it (migrated SOPs), so every
    edit can be diffed against and rolled back to what was there before."""
    if SopVersionRepository(conn).get(human.sop_id, "human", human.version) is None:
        change_type = "create" if human.version == 1 else "update"
        changed_by = str(
            human.data.get("lastModifiedBy") or human.data.get("createdBy") or "system"
        )
        reason = "Snapshot of the version in place before the first recorded edit"
        _record_human_version(
            conn, human, change_type=change_type, changed_by=changed_by, reason=reason
        )


def apply_markdown(
    conn: psycopg.Connection[Any],
    actor: Actor,
    sop_id: str,
    markdown: str,
    *,
    change_type: str = "update",
    reason: str | None = None,
) -> EditOutcome:
    """Write `markdown` as the next version of an active human SOP and regenerate its agent SOP.
    The row lock serialises concurrent edits, so every edit gets its own version (D9)."""
    require_permission(actor, Permission.EDIT_SOPS, "edit SOPs")
    markdown = normalize_newlines(markdown)
    humans = HumanSopRepository(conn)
    current = humans.get(sop_id, lock=True)
    if current is None:
        raise NotFound("SOP not found", details={"sopId": sop_id})
    parsed, check = parse_and_validate(markdown, sop_id, current.phase)
    raise_if_invalid(sop_id, check)
    if len(parsed.title) > MAX_TITLE:
        raise InvalidInput(f"SOP {sop_id}: the title is longer than {MAX_TITLE} characters")
    _ensure_baseline(conn, current)
    patch = {"markdownContent": markdown, "title": parsed.title, "lastModifiedBy": actor.display}
    human = humans.update_content(current, patch, phase=parsed.phase, version=current.version + 1)
    _record_human_version(
        conn,
        human,
        change_type=change_type,
        changed_by=actor.display,
        reason=reason,
        previous=current.version,
    )
    agent_change = "rollback" if change_type == "rollback" else "regenerate"
    agent = save_agent_from_parsed(
        conn,
        human,
        parsed,
        changed_by=actor.display,
        change_type=agent_change,
        warnings=check.warnings,
    )
    record_action(
        conn, actor, f"sop.{change_type}", "sop", sop_id, version=human.version, reason=reason
    )
    return EditOutcome(human, agent, check.warnings)


def edit_sop(conn: psycopg.Connection[Any], actor: Actor, body: dict[str, Any]) -> EditOutcome:
    """PUT /api/content-db: `{sopId, markdownContent, type:'human'}`."""
    require_permission(actor, Permission.EDIT_SOPS, "edit SOPs")
    sop_id, markdown = body.get("sopId"), body.get("markdownContent")
    if not sop_id or not markdown or body.get("type") != "human":
        raise BadRequest("Missing required fields")
    if not isinstance(sop_id, str) or not isinstance(markdown, str):
        raise InvalidInput("sopId and markdownContent must be strings")
    return apply_markdown(conn, actor, sop_id, markdown)


def create_sop(conn: psycopg.Connection[Any], actor: Actor, body: dict[str, Any]) -> EditOutcome:
    """POST /api/content-db: a new SOP (human + agent + their first versions)."""
    require_permission(actor, Permission.EDIT_SOPS, "create SOPs")
    markdown = body.get("markdownContent")
    if not isinstance(markdown, str) or not markdown.strip():
        raise BadRequest("Missing required fields")
    markdown = normalize_newlines(markdown)
    requested = body.get("sopId")
    if requested is not None:
        requested = check_new_id("SOP", requested, "sopId")
    phase_given = body.get("phase")
    if phase_given is not None and (
        isinstance(phase_given, bool)
        or not isinstance(phase_given, int)
        or not 1 <= phase_given <= 5
    ):
        raise InvalidInput("phase must be a whole number from 1 to 5")
    sop_id = requested or IdRepository(conn).next_sop_id()
    if HumanSopRepository(conn).get(sop_id, active_only=False) is not None:
        raise Conflict(f"SOP {sop_id} already exists", details={"sopId": sop_id})
    phase = phase_given or parse_phase(markdown, sop_id)
    if phase is None:
        raise InvalidInput(
            "phase is required (1-5): give it in the body or as 'Phase N' in the title"
        )
    parsed, check = parse_and_validate(markdown, sop_id, phase)
    raise_if_invalid(sop_id, check)
    data = {
        "sopId": sop_id,
        "title": parsed.title[:MAX_TITLE],
        "markdownContent": markdown,
        "createdBy": actor.display,
        "lastModifiedBy": actor.display,
    }
    human = HumanSopRepository(conn).insert(sop_id, new_object_id(), parsed.phase, data)
    _record_human_version(conn, human, change_type="create", changed_by=actor.display)
    agent = save_agent_from_parsed(
        conn,
        human,
        parsed,
        changed_by=actor.display,
        change_type="create",
        warnings=check.warnings,
    )
    record_action(conn, actor, "sop.create", "sop", sop_id, version=1, phase=parsed.phase)
    return EditOutcome(human, agent, check.warnings)


def list_all_human_sops(conn: psycopg.Connection[Any], actor: Actor) -> list[HumanSopRow]:
    """Every human SOP, retired ones included (last): the admin list, to restore them."""
    require_permission(actor, Permission.EDIT_SOPS, "manage SOPs")
    return HumanSopRepository(conn).list_all()


def set_sop_active(
    conn: psycopg.Connection[Any], actor: Actor, sop_id: str, active: bool
) -> HumanSopRow:
    """Retire (hidden from the library, the chat and the API lists; history kept) or restore a
    SOP, human and agent rows together."""
    require_permission(actor, Permission.EDIT_SOPS, "retire or restore SOPs")
    row = HumanSopRepository(conn).set_active(sop_id, active)
    if row is None:
        raise NotFound("SOP not found", details={"sopId": sop_id})
    AgentSopRepository(conn).set_active(sop_id, active)
    record_action(conn, actor, "sop.restore" if active else "sop.retire", "sop", sop_id)
    return row


def regenerate_one(conn: psycopg.Connection[Any], actor: Actor, sop_id: str) -> RegenerationResult:
    """POST /api/sops/regenerate {sopId}."""
    require_permission(actor, Permission.EDIT_SOPS, "regenerate SOPs")
    return regenerate_by_id(conn, sop_id, changed_by=actor.display)


def regenerate_all(conn: psycopg.Connection[Any], actor: Actor) -> list[RegenerationResult]:
    """POST /api/sops/regenerate {regenerateAll:true}: every active human SOP, in order."""
    require_permission(actor, Permission.EDIT_SOPS, "regenerate SOPs")
    ids = [row.sop_id for row in HumanSopRepository(conn).list_active()]
    return [regenerate_by_id(conn, sop_id, changed_by=actor.display) for sop_id in ids]


def check_sop_draft(markdown: str, phase: int | None) -> dict[str, Any]:
    """What creating a SOP from `markdown` would give (title, phase) and the validation errors
    and warnings, without writing anything (the "new SOP" form's live validation)."""
    text = normalize_newlines(markdown)
    if not text.strip():
        return {"valid": False, "title": "", "phase": phase, "errors": ["The SOP is empty"]}
    found = phase or parse_phase(text, "SOP-NEW")
    errors: list[str] = []
    if found is None:
        errors.append("No phase: choose one, or write 'Phase N' in the title")
    parsed, check = parse_and_validate(text, "SOP-NEW", found or 1)
    errors.extend(check.errors)
    if len(parsed.title) > MAX_TITLE:
        errors.append(f"The title is longer than {MAX_TITLE} characters")
    return {
        "valid": not errors,
        "title": parsed.title,
        "phase": found,
        "errors": errors,
        "warnings": check.warnings,
    }
