"""Typed columns of a collection's table and how each is derived from a document.

A `Column` names a typed column beside `data` and carries its rule: a function of the
document's natural JSON and its legacy id. One `TableSpec.extract` calls every rule of a
table in order, so columns and `data` never drift: the migration's loader, verifier and
`quarantine retry` (and the coming live sync) all derive rows the same way. A document that
cannot become a valid row raises `Rejected` with the reason (the quarantine reason).

Deterministic fallbacks (so a re-run changes nothing): a missing timestamp takes `createdAt`,
then the ObjectId's generation time, then 1970-01-01T00:00:00Z.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HEX24 = re.compile(r"^[0-9a-f]{24}$")

Rule = Callable[[dict[str, Any], str], Any]  # (natural JSON, legacy_id) → column value


class Rejected(Exception):
    """The document cannot become a row of its table (the message is the quarantine reason)."""


@dataclass(frozen=True)
class Column:
    """A typed column beside `data`: name, PostgreSQL type, derivation rule, vocabulary."""

    name: str
    pg_type: str
    rule: Rule = field(compare=False, repr=False, default=lambda d, lid: None)
    vocabulary: tuple[str, ...] | None = None  # the values the schema's CHECK allows
    # What the rule reads and accepts, for readers that make documents rather than read them
    # (the migration benchmark's generator): the document field, whether a document without
    # it is rejected, the key pattern and the integer bounds.
    source: str | None = None
    required: bool = False
    pattern: str | None = None
    bounds: tuple[int, int | None] | None = None


@dataclass(frozen=True)
class Reference:
    """A document field holding the `_id` of a row of another table (agent → human SOP).

    The loader stages the referenced legacy id in `staged_column` and resolves it to the
    target row's `id` in `column` by a join; a reference that resolves to nothing is
    counted as dangling and stored as NULL."""

    field: str  # the document's field (an ObjectId in the legacy model)
    staged_column: str  # the staged legacy id of the target row
    column: str  # the table's foreign-key column
    target_table: str

    def legacy_id(self, data: dict[str, Any]) -> str | None:
        """The legacy id the document points at (24-hex ObjectId text), if any."""
        value = data.get(self.field)
        return value if isinstance(value, str) and HEX24.match(value) else None


def _extract_with(rules: tuple[Rule, ...]) -> Callable[[dict[str, Any], str], tuple[Any, ...]]:
    def extract(d: dict[str, Any], lid: str) -> tuple[Any, ...]:
        return tuple([rule(d, lid) for rule in rules])

    return extract


@dataclass(frozen=True)
class TableSpec:
    """How one legacy collection becomes rows of one table."""

    table: str
    legacy_name: str  # the real legacy collection name (export writes this one)
    aliases: tuple[str, ...]
    columns: tuple[Column, ...]  # typed columns, in COPY order (legacy_id/data/annotations apart)
    unique_keys: tuple[tuple[str, ...], ...]  # natural keys a different legacy_id may not take
    extract: Callable[[dict[str, Any], str], tuple[Any, ...]] = field(compare=False)
    lower_keys: frozenset[str] = frozenset()  # key columns compared case-insensitively
    # The upsert's conflict target; legacy_documents scopes legacy_id by collection.
    conflict_target: tuple[str, ...] = ("legacy_id",)
    scope_column: str | None = None  # legacy_documents: rows of one collection only
    reference: Reference | None = None

    @classmethod
    def of(cls, table: str, legacy_name: str, columns: tuple[Column, ...], **kw: Any) -> TableSpec:
        """A spec whose `extract` applies each column's rule in order."""
        extract = _extract_with(tuple(c.rule for c in columns))
        return cls(table, legacy_name, columns=columns, extract=extract, **kw)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def compared_columns(self) -> tuple[str, ...]:
        """Typed columns verification re-derives from `data` and compares with the row: all but
        `updated_at` (trigger-managed) and a reference (resolved by a join, checked apart)."""
        skipped = {"updated_at", self.reference.staged_column if self.reference else ""}
        return tuple(n for n in self.column_names if n not in skipped)

    def index(self, column: str) -> int:
        """The position of `column` in the derived values."""
        return self.column_names.index(column)


# --- value rules --------------------------------------------------------------------------------


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
    if HEX24.match(legacy_id):
        return datetime.fromtimestamp(int(legacy_id[:8], 16), tz=UTC)
    return EPOCH


def key(name: str, source: str, pattern: re.Pattern[str] | None = None) -> Column:
    """A natural-key column: a non-empty string matching `pattern`, or the document is rejected."""

    def rule(data: dict[str, Any], lid: str) -> str:
        value = data.get(source)
        if value is None:
            raise Rejected(f"no natural key: {source} is missing")
        if not isinstance(value, str) or not value:
            raise Rejected(f"natural key {source} is not a non-empty string: {value!r}")
        if pattern is not None and not pattern.match(value):
            raise Rejected(f"natural key {source}={value!r} does not match {pattern.pattern}")
        return value

    return Column(
        name, "text", rule, source=source, required=True,
        pattern=pattern.pattern if pattern is not None else None,
    )  # fmt: skip


def vocabulary(
    name: str, source: str, allowed: tuple[str, ...], default: str | None, *, optional: bool = False
) -> Column:
    """One of `allowed` (`default` when missing; rejected when missing without a default,
    unless `optional`, when missing is NULL)."""

    def rule(data: dict[str, Any], lid: str) -> Any:
        value = data.get(source)
        if value is None:
            if default is None and not optional:
                raise Rejected(f"{source} is missing (one of {', '.join(allowed)})")
            return default
        if value not in allowed:
            raise Rejected(f"{source}={value!r} is not one of {', '.join(allowed)}")
        return value

    required = default is None and not optional
    return Column(name, "text", rule, vocabulary=allowed, source=source, required=required)


def integer(
    name: str, source: str, pg_type: str, low: int, high: int | None, default: int | None
) -> Column:
    """An integer within low..high (`default` when missing; rejected when missing without one)."""

    def rule(data: dict[str, Any], lid: str) -> int:
        value = data.get(source)
        if value is None:
            if default is None:
                raise Rejected(f"{source} is missing")
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise Rejected(f"{source}={value!r} is not an integer")
        number = int(value)
        if number < low or (high is not None and number > high):
            bound = f"{low}..{high}" if high is not None else f">= {low}"
            raise Rejected(f"{source}={number} is outside {bound}")
        return number

    return Column(name, pg_type, rule, source=source, required=default is None, bounds=(low, high))


def flag(name: str, source: str, default: bool) -> Column:
    """A boolean (`default` when missing or not a boolean)."""

    def rule(data: dict[str, Any], lid: str) -> bool:
        value = data.get(source)
        return value if isinstance(value, bool) else default

    return Column(name, "boolean", rule, source=source)


def text(name: str, source: str) -> Column:
    """A string, or NULL when missing or not a string."""

    def rule(data: dict[str, Any], lid: str) -> str | None:
        value = data.get(source)
        return value if isinstance(value, str) else None

    return Column(name, "text", rule, source=source)


def number(name: str, source: str) -> Column:
    """A number as double precision, or NULL when missing or not a number."""

    def rule(data: dict[str, Any], lid: str) -> float | None:
        value = data.get(source)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)

    return Column(name, "double precision", rule, source=source)


def moment(name: str, source: str) -> Column:
    """A timestamp, or NULL when missing or not a date."""
    rule: Rule = lambda data, lid: parse_time(data.get(source))  # noqa: E731
    return Column(name, "timestamptz", rule, source=source)


def moment_or_fallback(name: str, source: str) -> Column:
    """A timestamp that always has a value (the deterministic fallbacks of the module doc)."""

    def rule(data: dict[str, Any], lid: str) -> datetime:
        return parse_time(data.get(source)) or _fallback_time(data, lid)

    return Column(name, "timestamptz", rule, source=source)


def referenced_id(name: str, reference: Reference) -> Column:
    """The staged legacy id of a reference (resolved to the foreign key at load)."""
    return Column(name, "text", lambda data, lid: reference.legacy_id(data), source=reference.field)


def timestamps(updated: str = "updatedAt") -> tuple[Column, Column]:
    """created_at and updated_at (history entries have no `updatedAt`: they take `createdAt`)."""
    return moment_or_fallback("created_at", "createdAt"), moment_or_fallback("updated_at", updated)
