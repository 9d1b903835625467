"""The JSON arrays written by the seed guide's export script (driver documents → JSON.stringify).

`JSON.stringify` flattened ObjectIds to 24-hex strings and Dates to ISO strings
(`2025-07-21T17:09:19.668Z`). This source turns them back:
1. At the typed paths of the legacy models (the shapes in `documents.registry`): a 24-hex
   string becomes an ObjectId, an ISO date string becomes a date. A value that does not parse
   stays a string (the migration's pre-flight reports it).
2. General rule, for collections the legacy models do not describe, for top-level fields a
   model does not declare, and inside `Mixed` fields: a string of exactly the JSON.stringify
   form `YYYY-MM-DDTHH:MM:SS.sssZ` (or `±YYYYYY-…` for far years) becomes a date, and an `_id`
   that is a 24-hex string becomes an ObjectId. Declared String fields are never touched.
What the export lost for good: Int32/Int64/Double (all JSON numbers: integers become Int32 when
they fit, else Int64; numbers with a fraction or exponent stay doubles, but `1.0` was already
written as `1`), and any other BSON type JSON.stringify mangled.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bson.datetime_ms import DatetimeMS
from bson.objectid import ObjectId

from pmo_playbook.documents.registry import COLLECTIONS, Collection
from pmo_playbook.documents.registry.shape import TypeName
from pmo_playbook.migration.sources.jsonstream import make_decoder, no_duplicates
from pmo_playbook.migration.sources.mongoexport import JsonExportSource

HEX24 = re.compile(r"[0-9a-fA-F]{24}")
JS_DATE = re.compile(r"(\d{4}|[+-]\d{6})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z")
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def _plain_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Plain JSON objects (no Extended JSON), duplicate keys refused."""
    no_duplicates(pairs)
    return dict(pairs)


def parse_js_date(text: str) -> dt.datetime | DatetimeMS | None:
    """A JSON.stringify date string as a UTC date (DatetimeMS outside years 1..9999), or None."""
    match = JS_DATE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, millis = (int(g) for g in match.groups())
    if 1 <= year <= 9999:
        try:
            return dt.datetime(year, month, day, hour, minute, second, millis * 1000, tzinfo=dt.UTC)
        except ValueError:
            return None
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 60):
        return None
    return DatetimeMS(
        _days_from_civil(year, month, day) * 86_400_000
        + (((hour * 60 + minute) * 60 + second) * 1000 + millis)
    )


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 in the proleptic Gregorian calendar, for any year."""
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _typed(value: Any, kind: str) -> Any:
    """Convert a string at a typed path; anything unparseable stays as it is."""
    if not isinstance(value, str):
        return value
    if kind == "objectId":
        return ObjectId(value) if HEX24.fullmatch(value) else value
    parsed = parse_js_date(value)
    if parsed is None:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if parsed.tzinfo is None:
            return value
        parsed = parsed.astimezone(dt.UTC)
    return parsed


def _apply(node: Any, parts: list[str], kind: str) -> None:
    """Convert the values at `parts` under `node` in place."""
    if not parts:
        return
    head, rest = parts[0], parts[1:]
    if head == "[]":
        if isinstance(node, list):
            for i, item in enumerate(node):
                if rest:
                    _apply(item, rest, kind)
                else:
                    node[i] = _typed(item, kind)
        return
    if isinstance(node, dict) and head in node:
        if rest:
            _apply(node[head], rest, kind)
        else:
            node[head] = _typed(node[head], kind)


def general_rule(value: Any, key: str | None = None) -> Any:
    """The rule for untyped places: exact JSON.stringify dates, 24-hex `_id` values."""
    if isinstance(value, str):
        if key == "_id" and HEX24.fullmatch(value):
            return ObjectId(value)
        parsed = parse_js_date(value)
        return value if parsed is None else parsed
    if isinstance(value, dict):
        return {k: general_rule(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [general_rule(v) for v in value]
    return value


def split_path(path: str) -> list[str]:
    """`"messages[].timestamp"` → `["messages", "[]", "timestamp"]`."""
    parts: list[str] = []
    for name in path.split("."):
        if name.endswith("[]"):
            parts += [name[:-2], "[]"]
        else:
            parts.append(name)
    return parts


class _Model:
    """What restoring one collection's documents needs from its registry entry."""

    def __init__(self, found: Collection) -> None:
        self.typed: list[tuple[list[str], TypeName]] = [
            (split_path(path), kind) for path, kind in found.typed_paths.items()
        ]
        # Fields the model does not type (undeclared, or `Mixed`) get the general rule.
        self.untyped_declared = found.declared_fields - found.mixed_fields


# By legacy name and alias (the seed guide's scripts used other names for two collections).
_MODELS = {name: _Model(c) for c in COLLECTIONS for name in c.names}


def restore_types(collection: str, doc: dict[str, Any]) -> dict[str, Any]:
    """The document with ObjectIds and dates restored (see the module docstring)."""
    model = _MODELS.get(collection)
    if model is None:
        return {k: general_rule(v, k) for k, v in doc.items()}
    for parts, kind in model.typed:
        _apply(doc, parts, kind)
    kept = model.untyped_declared
    return {k: v if k in kept else general_rule(v, k) for k, v in doc.items()}


class SeedJsonSource(JsonExportSource):
    """The seed guide's `data-export/*.json` arrays; see the module docstring for the rules."""

    kind = "seed-json"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._decoder = make_decoder(_plain_hook)

    def convert(self, collection: str, doc: dict[str, Any]) -> dict[str, Any]:
        """Restore ObjectIds and dates."""
        return restore_types(collection, doc)
