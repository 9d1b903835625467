"""SOP version history: list, view one version, diff two versions, roll back.

A rollback never rewrites history: it writes a NEW human version whose markdown is the old
version's (changeType `rollback`) and regenerates the agent SOP from it.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

import psycopg

from pmo_playbook.documents.sops import SopVersionRow
from pmo_playbook.errors import InvalidInput, NotFound
from pmo_playbook.repositories.agent_sops import AgentSopRepository
from pmo_playbook.repositories.human_sops import HumanSopRepository
from pmo_playbook.repositories.sop_versions import SopVersionRepository
from pmo_playbook.services.actor import Actor, Permission
from pmo_playbook.services.sop_access import require_permission, require_reader
from pmo_playbook.services.sops import EditOutcome, apply_markdown

SOP_TYPES = ("human", "agent")


def _check_type(sop_type: str) -> None:
    if sop_type not in SOP_TYPES:
        raise InvalidInput("type must be 'human' or 'agent'", details={"type": sop_type})


def _current_entry(conn: psycopg.Connection[Any], sop_id: str, sop_type: str) -> dict[str, Any]:
    """The SOP as it is now, shaped like a history entry (for versions never recorded)."""
    row: Any = (
        HumanSopRepository(conn).get(sop_id, active_only=False)
        if sop_type == "human"
        else AgentSopRepository(conn).get(sop_id)
    )
    if row is None:
        raise NotFound("SOP not found", details={"sopId": sop_id})
    return {
        "_id": None,
        "sopId": sop_id,
        "sopType": sop_type,
        "version": row.version,
        "changeType": None,
        "changedBy": row.data.get("lastModifiedBy"),
        "changeReason": "current version (not in the history)",
        "metadata": {},
        "createdAt": None,
        "content": row.to_legacy(),
        "current": True,
    }


def list_versions(
    conn: psycopg.Connection[Any],
    actor: Actor,
    sop_id: str,
    sop_type: str = "human",
    *,
    public_read: bool = True,
) -> dict[str, Any]:
    """The recorded versions, newest first, without content; plus the current version."""
    require_reader(actor, public_read)
    _check_type(sop_type)
    current = _current_entry(conn, sop_id, sop_type)
    rows = SopVersionRepository(conn).list(sop_id, sop_type)
    return {
        "sopId": sop_id,
        "type": sop_type,
        "currentVersion": current["version"],
        "versions": [r.summary() for r in rows],
    }


def get_version(
    conn: psycopg.Connection[Any],
    actor: Actor,
    sop_id: str,
    version: int,
    sop_type: str = "human",
    *,
    public_read: bool = True,
) -> dict[str, Any]:
    """One version with its content snapshot (the current one even if never recorded)."""
    require_reader(actor, public_read)
    _check_type(sop_type)
    row: SopVersionRow | None = SopVersionRepository(conn).get(sop_id, sop_type, version)
    if row is not None:
        return row.to_legacy()
    current = _current_entry(conn, sop_id, sop_type)
    if current["version"] == version:
        return current
    raise NotFound(
        f"Version {version} of {sop_id} not found", details={"sopId": sop_id, "version": version}
    )


def _text_of(entry: dict[str, Any], sop_type: str) -> str:
    content = entry.get("content") or {}
    if sop_type == "human":
        return str(content.get("markdownContent") or "")
    keep = {k: v for k, v in content.items() if k not in ("_id", "createdAt", "updatedAt")}
    return json.dumps(keep, indent=2, sort_keys=True, ensure_ascii=False)


def diff_versions(
    conn: psycopg.Connection[Any],
    actor: Actor,
    sop_id: str,
    from_version: int,
    to_version: int,
    sop_type: str = "human",
    *,
    public_read: bool = True,
) -> dict[str, Any]:
    """Unified diff between two versions (markdown for human SOPs, JSON for agent SOPs)."""
    old = get_version(conn, actor, sop_id, from_version, sop_type, public_read=public_read)
    new = get_version(conn, actor, sop_id, to_version, sop_type, public_read=public_read)
    # Lines are compared without their endings: a version saved without a final newline and
    # the next one with it differ in no line a reader sees (keepends marked the last line
    # removed and re-added).
    lines = difflib.unified_diff(
        _text_of(old, sop_type).splitlines(),
        _text_of(new, sop_type).splitlines(),
        fromfile=f"{sop_id} v{from_version}",
        tofile=f"{sop_id} v{to_version}",
        lineterm="",
    )
    text = "".join(line + "\n" for line in lines)
    return {"sopId": sop_id, "type": sop_type, "from": from_version, "to": to_version, "diff": text}


def rollback(conn: psycopg.Connection[Any], actor: Actor, sop_id: str, version: int) -> EditOutcome:
    """Write a new version whose markdown is `version`'s (changeType `rollback`).

    Permission is checked before any lookup, so callers without it cannot probe which SOPs
    and versions exist.
    """
    require_permission(actor, Permission.EDIT_SOPS, "roll back SOPs")
    row = SopVersionRepository(conn).get(sop_id, "human", version)
    if row is None:
        raise NotFound(
            f"Version {version} of {sop_id} not found",
            details={"sopId": sop_id, "version": version},
        )
    markdown = (row.data.get("content") or {}).get("markdownContent")
    if not isinstance(markdown, str) or not markdown:
        raise InvalidInput(f"Version {version} of {sop_id} holds no markdown to restore")
    return apply_markdown(
        conn,
        actor,
        sop_id,
        markdown,
        change_type="rollback",
        reason=f"Rolled back to version {version}",
    )
