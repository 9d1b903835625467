"""Legacy collection → table mapping: names and aliases, natural keys, typed columns.

One `extract_<table>` function per table derives every typed column from the document's natural
JSON (`EncodedDocument.data`), so columns and `data` never drift: the loader, the verifier and
`quarantine retry` all call the same function. A document that cannot become a valid row raises
`Rejected` with the reason, and goes to quarantine instead of the table.

Deterministic fallbacks (so a re-run changes nothing): a missing timestamp takes `createdAt`,
then the ObjectId's generation time, then 1970-01-01T00:00:00Z.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PROJECT_ID = re.compile(r"^PRO-[0-9]{3,}$")
SOP_ID = re.compile(r"^SOP-[0-9]{3,}$")
_HEX24 = re.compile(r"^[0-9a-f]{24}$")


class Rejected(Exception):
    """The document cannot become a row of its table (the message is the quarantine reason)."""


@dataclass(frozen=True)
class Column:
    """A typed column beside `data` (name and PostgreSQL type, for COPY and staging)."""

    name: str
    pg_type: str


@dataclass(frozen=True)
class TableSpec:
    """How one legacy collection becomes rows of one table."""

    table: str
    legacy_name: str  # the real legacy collection name (export writes this one)
    aliases: tuple[str, ...]
    columns: tuple[Column, ...]  # typed columns, in COPY order (legacy_id/data/annotations apart)
    unique_keys: tuple[tuple[str, ...], ...]  # natural keys a different legacy_id may not take
    extract: Callable[[dict[str, Any], str], tuple[Any, ...]]
    lower_keys: frozenset[str] = frozenset()  # key columns compared case-insensitively
    # The upsert's conflict target; legacy_documents scopes legacy_id by collection.
    conflict_target: tuple[str, ...] = ("legacy_id",)
    scope_column: str | None = None  # legacy_documents: rows of one collection only

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


# --- value helpers ---------------------------------------------------------------------------


def _key(data: dict[str, Any], field: str, pattern: re.Pattern[str] | None = None) -> str:
    value = data.get(field)
    if value is None:
        raise Rejected(f"no natural key: {field} is missing")
    if not isinstance(value, str) or not value:
        raise Rejected(f"natural key {field} is not a non-empty string: {value!r}")
    if pattern is not None and not pattern.match(value):
        raise Rejected(f"natural key {field}={value!r} does not match {pattern.pattern}")
    return value


def _vocab(data: dict[str, Any], field: str, allowed: tuple[str, ...], default: str | None) -> Any:
    value = data.get(field)
    if value is None:
        if default is None:
            raise Rejected(f"{field} is missing (one of {', '.join(allowed)})")
        return default
    if value not in allowed:
        raise Rejected(f"{field}={value!r} is not one of {', '.join(allowed)}")
    return value


def _int_range(
    data: dict[str, Any], field: str, low: int, high: int | None, default: int | None
) -> int:
    value = data.get(field)
    if value is None:
        if default is None:
            raise Rejected(f"{field} is missing")
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise Rejected(f"{field}={value!r} is not an integer")
    number = int(value)
    if number < low or (high is not None and number > high):
        bound = f"{low}..{high}" if high is not None else f">= {low}"
        raise Rejected(f"{field}={number} is outside {bound}")
    return number


def _bool(data: dict[str, Any], field: str, default: bool) -> bool:
    value = data.get(field)
    return value if isinstance(value, bool) else default


def _text(data: dict[str, Any], field: str) -> str | None:
    value = data.get(field)
    return value if isinstance(value, str) else None


def _float(data: dict[str, Any], field: str) -> float | None:
    value = data.get(field)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 string (natural JSON date) as an aware datetime; None when it is not one."""
    if not isinstance(value, str) or len(value) < 10 or not value[:4].isdigit():
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.year < 1:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _fallback_time(data: dict[str, Any], legacy_id: str) -> datetime:
    created = parse_time(data.get("createdAt"))
    if created is not None:
        return created
    if _HEX24.match(legacy_id):
        return datetime.fromtimestamp(int(legacy_id[:8], 16), tz=UTC)
    return EPOCH


def _time(data: dict[str, Any], field: str, legacy_id: str) -> datetime:
    return parse_time(data.get(field)) or _fallback_time(data, legacy_id)


def _times(data: dict[str, Any], legacy_id: str, updated: str = "updatedAt") -> tuple[Any, ...]:
    return (_time(data, "createdAt", legacy_id), _time(data, updated, legacy_id))


def human_sop_reference(data: dict[str, Any]) -> str | None:
    """The legacy id an agent SOP's humanSopId points to (24-hex ObjectId text), if any."""
    value = data.get("humanSopId")
    return value if isinstance(value, str) and _HEX24.match(value) else None


# --- one function per table --------------------------------------------------------------------


def extract_projects(d: dict[str, Any], lid: str) -> tuple[Any, ...]:
    return (_key(d, "projectId", PROJECT_ID), _bool(d, "isActive", True), *_times(d, lid))


def extract_human_sops(d: dict[str, Any], lid: str) -> tuple[Any, ...]:
    return (
        _key(d, "sopId", SOP_ID),
        _int_range(d, "phase", 1, 5, None),
        _int_range(d, "version", 1, 2**31 - 1, 1),
        _bool(d, "isActive", True),
        *_times(d, lid),
    )


def extract_agent_sops(d: dict[str, Any], lid: str) -> tuple[Any, ...]:
    return (
        _key(d, "sopId", SOP_ID),
        human_sop_reference(d),
        _int_range(d, "phase", 1, 5, None),
        _int_range(d, "version", 1, 2**31 - 1, 1),
        _bool(d, "isActive", True),
        _text(d, "searchableContent"),
        parse_time(d.get("lastSyncedAt")),
        *_times(d, lid),
    )


def extract_chat_histories(d: dict[str, Any], lid: str) -> tuple[Any, ...]:
    return (
        _key(d, "sessionId"),
        _text(d, "userId"),
        _vocab(d, "status", ("active", "completed", "abandoned"), "active"),
        _time(d, "startedAt", lid),
        parse_time(d.get("endedAt")),
        _time(d, "lastActive", lid),
        *_times(d, lid),
    )


def extract_user_feedback(d: dict[str, Any], lid: str) -> tuple[Any, ...]:
    return (
        _key(d, "feedbackId"),
        _text(d, "sessionId"),
        _text(d, "sopId"),
        _vocab(d, "status", ("pending", "ongoing", "completed", "closed"), "pending"),
        _vocab(d, "priority", ("low", "medium", "high"), "medium"),
        *_times(d, lid),
    )


def extract_message_feedback(d: dict[str, Any], lid: str) -> tuple[Any, ...]:
    return (
        _key(d, "messageId"),
        _key(d, "sessionId"),
        _vocab(d, "rating", ("helpful", "not_helpful"), None),
        _text(d, "sopUsed"),
        _float(d, "confidence"),
        *_times(d, lid),
    )


def extract_change_proposals(d: dict[str, Any], lid: str) -> tuple[Any, ...]:
    statuses = ("pending_review", "approved", "rejected", "implemented", "archived")
    return (
        _key(d, "proposalId"),
        _text(d, "sopId"),
        _vocab(d, "status", statuses, "pending_review"),
        _vocab(d, "priority", ("low", "medium", "high", "critical"), "medium"),
        *_times(d, lid),
    )


def extract_sop_version_histories(d: dict[str, Any], lid: str) -> tuple[Any, ...]:
    change_type = d.get("changeType")
    if change_type is not None and change_type not in (
        "create",
        "update",
        "regenerate",
        "rollback",
    ):
        raise Rejected(
            f"changeType={change_type!r} is not one of create, update, regenerate, rollback"
        )
    return (
        _key(d, "sopId"),
        _vocab(d, "sopType", ("human", "agent"), None),
        _int_range(d, "version", 1, 2**31 - 1, None),
        change_type,
        *_times(d, lid, updated="createdAt"),
    )


def extract_users(d: dict[str, Any], lid: str) -> tuple[Any, ...]:
    return (
        _key(d, "userId"),
        _key(d, "email"),
        _vocab(d, "role", ("user", "admin", "viewer"), "user"),
        _bool(d, "isActive", True),
        parse_time(d.get("lastLogin")),
        *_times(d, lid),
    )


_TS = "timestamptz"
_TIMES = (Column("created_at", _TS), Column("updated_at", _TS))


def _cols(*pairs: str) -> tuple[Column, ...]:
    return tuple(Column(*p.split(":")) for p in pairs) + _TIMES


SPECS: tuple[TableSpec, ...] = (
    TableSpec("projects", "projects", (), _cols("project_id:text", "is_active:boolean"),
              (("project_id",),), extract_projects),
    TableSpec("human_sops", "human_sops", (),
              _cols("sop_id:text", "phase:smallint", "version:integer", "is_active:boolean"),
              (("sop_id",),), extract_human_sops),
    TableSpec("agent_sops", "agent_sops", (),
              _cols("sop_id:text", "human_sop_ref:text", "phase:smallint", "version:integer",
                    "is_active:boolean", "searchable_content:text", "last_synced_at:timestamptz"),
              (("sop_id",),), extract_agent_sops),
    TableSpec("chat_histories", "chat_histories", (),
              _cols("session_id:text", "user_id:text", "status:text", "started_at:timestamptz",
                    "ended_at:timestamptz", "last_active:timestamptz"),
              (("session_id",),), extract_chat_histories),
    TableSpec("user_feedback", "userfeedback", ("user_feedback",),
              _cols("feedback_id:text", "session_id:text", "sop_id:text", "status:text",
                    "priority:text"),
              (("feedback_id",),), extract_user_feedback),
    TableSpec("message_feedback", "message_feedback", (),
              _cols("message_id:text", "session_id:text", "rating:text", "sop_used:text",
                    "confidence:double precision"),
              (("message_id", "session_id"),), extract_message_feedback),
    TableSpec("change_proposals", "change_proposals", (),
              _cols("proposal_id:text", "sop_id:text", "status:text", "priority:text"),
              (("proposal_id",),), extract_change_proposals),
    TableSpec("sop_version_histories", "sop_version_history", ("sop_version_histories",),
              _cols("sop_id:text", "sop_type:text", "version:integer", "change_type:text"),
              (("sop_id", "sop_type", "version"),), extract_sop_version_histories),
    TableSpec("users", "users", (),
              _cols("user_id:text", "email:text", "role:text", "is_active:boolean",
                    "last_login:timestamptz"),
              (("user_id",), ("email",)), extract_users, lower_keys=frozenset({"email"})),
)  # fmt: skip

BY_TABLE = {spec.table: spec for spec in SPECS}
_BY_NAME = {name: spec for spec in SPECS for name in (spec.legacy_name, *spec.aliases)}
LOAD_ORDER = tuple(spec.table for spec in SPECS)  # human_sops before agent_sops (FK)


def _extract_unmapped(collection: str) -> Callable[[dict[str, Any], str], tuple[Any, ...]]:
    def extract(d: dict[str, Any], lid: str) -> tuple[Any, ...]:
        return (collection, *_times(d, lid))

    return extract


def unmapped_spec(collection: str) -> TableSpec:
    """The generic `legacy_documents` target for a collection that maps to no table."""
    return TableSpec(
        table="legacy_documents",
        legacy_name=collection,
        aliases=(),
        columns=(Column("collection", "text"), *_TIMES),
        unique_keys=(),
        extract=_extract_unmapped(collection),
        conflict_target=("collection", "legacy_id"),
        scope_column="collection",
    )


def spec_for(collection: str) -> TableSpec | None:
    """The table spec of a source collection name or alias; None when it maps to nothing."""
    return _BY_NAME.get(collection)


def collection_sort_key(collection: str) -> tuple[int, str]:
    """Load order: mapped collections in table order (human_sops before agent_sops), then others."""
    spec = spec_for(collection)
    return (LOAD_ORDER.index(spec.table) if spec else len(LOAD_ORDER), collection)
