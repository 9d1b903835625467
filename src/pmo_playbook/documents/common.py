"""Helpers shared by every document module: natural ISO dates, new `_id`s, legacy rendering.

The natural JSON form (MIGRATION_DESIGN.md) writes dates as ISO-8601 UTC with milliseconds and
`Z` (`2025-07-18T10:04:47.000Z`) and ObjectIds as 24-hex strings. The application writes new
documents in exactly this form so migrated and new rows look alike.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId

_HEX24 = re.compile(r"^[0-9a-f]{24}$")


def to_iso(value: datetime) -> str:
    """A datetime as natural ISO text: UTC, milliseconds, `Z` (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    # isoformat, not strftime: strftime's %Y drops the zero padding of years before 1000.
    return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def from_iso(text: str) -> datetime:
    """Parse ISO-8601 text (with `Z`, an offset, or none = UTC, or a bare date) to aware UTC.

    Raises ValueError for text that is not an ISO date, or one whose UTC instant falls outside
    years 1..9999 (`0001-01-01T00:00:00+14:00`)."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("not an ISO-8601 date")
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    parsed = datetime.fromisoformat(raw)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("date out of range (years 1 to 9999 in UTC)") from exc


def now_iso() -> str:
    """The current time in natural ISO form."""
    return to_iso(datetime.now(UTC))


def utc_now() -> datetime:
    """The current time, aware UTC, truncated to milliseconds (what natural JSON keeps)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)


def new_object_id() -> str:
    """A fresh ObjectId as 24-hex text (legacy_id of new rows, `_id` of sub-documents)."""
    return str(ObjectId())


def is_object_id(value: Any) -> bool:
    """True for 24-hex lowercase text (the natural form of an ObjectId)."""
    return isinstance(value, str) and bool(_HEX24.match(value))


def render_row(
    legacy_id: str | None,
    data: dict[str, Any],
    created_at: datetime | None = None,
    updated_at: datetime | None = None,
) -> dict[str, Any]:
    """A row as the legacy JSON shape: `_id` first, the data keys, then createdAt/updatedAt.

    The timestamps come from the typed columns when given (they are the source of truth for
    rows written by the application); otherwise the values kept in `data` are used."""
    out: dict[str, Any] = {"_id": legacy_id}
    out.update({k: v for k, v in data.items() if k not in ("_id", "createdAt", "updatedAt")})
    out["createdAt"] = to_iso(created_at) if created_at else data.get("createdAt")
    out["updatedAt"] = to_iso(updated_at) if updated_at else data.get("updatedAt")
    return out
