"""The exact value model of a BSON document, and its canonical Extended JSON.

The `bson` package decodes a few BSON types lossily (Symbol → str, Undefined → None,
DBPointer → DBRef, regex flags → a sorted bit set, old binary subtype 2 → its inner bytes).
The exact reader (`walk`) represents those with the small wrapper classes below; every
other value is the `bson` package's own type (`Int64`, `DatetimeMS`, `ObjectId`, `Binary`,
`Decimal128`, `Code`, `Timestamp`, `MinKey`, `MaxKey`) or a Python builtin
(dict, list, str, int = Int32, float = double, bool, None).

`to_ejson`/`from_ejson` convert that model to and from canonical Extended JSON v2 (key order
kept, MongoDB's spec forms), used for `legacy_id`, quarantine copies and diffs.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bson.binary import Binary
from bson.code import Code
from bson.datetime_ms import DatetimeMS
from bson.dbref import DBRef
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.timestamp import Timestamp


@dataclass(frozen=True)
class Symbol:
    """BSON Symbol (type 0x0E, deprecated): a string with its own type byte."""

    value: str


@dataclass(frozen=True)
class Undefined:
    """BSON Undefined (type 0x06, deprecated)."""


UNDEFINED = Undefined()


@dataclass(frozen=True)
class DBPointer:
    """BSON DBPointer (type 0x0C, deprecated): a namespace and an ObjectId."""

    namespace: str
    oid: ObjectId


@dataclass(frozen=True)
class ExactRegex:
    """BSON regex with its option letters exactly as stored (order included)."""

    pattern: str
    options: str


@dataclass(frozen=True)
class RawBinary:
    """BSON binary whose payload is kept byte for byte (subtype 2 keeps its inner length)."""

    payload: bytes
    subtype: int


_REGEX_FLAGS = ((2, "i"), (4, "l"), (8, "m"), (16, "s"), (32, "u"), (64, "x"))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MIN_NATURAL_MS = -62135596800000  # 0001-01-01T00:00:00.000Z
MAX_NATURAL_MS = 253402300799999  # 9999-12-31T23:59:59.999Z


def regex_options(value: Regex[Any]) -> str:
    """The option letters the `bson` package writes for a decoded `Regex` (its fixed order)."""
    flags = value.flags if isinstance(value.flags, int) else 0
    return "".join(letter for bit, letter in _REGEX_FLAGS if flags & bit)


def binary_parts(value: Any) -> tuple[bytes, int]:
    """(exact payload, subtype) of `bytes`, `Binary` or `RawBinary`."""
    if isinstance(value, RawBinary):
        return value.payload, value.subtype
    if isinstance(value, Binary):
        if value.subtype == 2:
            return len(value).to_bytes(4, "little", signed=True) + bytes(value), 2
        return bytes(value), value.subtype
    return bytes(value), 0


def ms_to_iso(ms: int) -> str:
    """ISO-8601 UTC with milliseconds and `Z`; years outside 1..9999 as `±YYYYYY` (ISO expanded)."""
    if MIN_NATURAL_MS <= ms <= MAX_NATURAL_MS:
        moment = _EPOCH + timedelta(milliseconds=ms)
        # Not strftime's %Y: glibc writes year 1 as "1", which no ISO parser reads back.
        return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
    days, rest = divmod(ms, 86_400_000)
    year, month, day = _civil_from_days(days)
    secs, millis = divmod(rest, 1000)
    sign = "-" if year < 0 else "+"
    return (
        f"{sign}{abs(year):06d}-{month:02d}-{day:02d}T"
        f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}.{millis:03d}Z"
    )


def _civil_from_days(days: int) -> tuple[int, int, int]:
    """Proleptic Gregorian (year, month, day) of a day count since 1970-01-01 (H. Hinnant)."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (1 if month <= 2 else 0), month, day


def datetime_ms(value: datetime | DatetimeMS) -> int:
    """Milliseconds since the epoch of a BSON date value."""
    if isinstance(value, DatetimeMS):
        return int(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // timedelta(milliseconds=1)


def double_text(value: float) -> str:
    """The canonical Extended JSON text of a double (`1.0`, `-0.0`, `NaN`, `-Infinity`)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def to_ejson(value: Any) -> Any:
    """Canonical Extended JSON v2 (as Python JSON values) of one value of the model."""
    if isinstance(value, Code):  # before str: Code is a str subclass
        if value.scope is None:
            return {"$code": str(value)}
        return {"$code": str(value), "$scope": to_ejson(dict(value.scope))}
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return {k: to_ejson(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_ejson(v) for v in value]
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Int64):
        return {"$numberLong": str(int(value))}
    if isinstance(value, int):
        return {"$numberInt": str(value)}
    if isinstance(value, float):
        return {"$numberDouble": double_text(value)}
    if isinstance(value, datetime | DatetimeMS):
        return {"$date": {"$numberLong": str(datetime_ms(value))}}
    if isinstance(value, ObjectId):
        return {"$oid": str(value)}
    if isinstance(value, bytes | Binary | RawBinary):
        payload, subtype = binary_parts(value)
        b64 = base64.b64encode(payload).decode("ascii")
        return {"$binary": {"base64": b64, "subType": f"{subtype:02x}"}}
    if isinstance(value, Decimal128):
        return {"$numberDecimal": str(value)}
    if isinstance(value, Regex):
        return {"$regularExpression": {"pattern": value.pattern, "options": regex_options(value)}}
    if isinstance(value, ExactRegex):
        return {"$regularExpression": {"pattern": value.pattern, "options": value.options}}
    if isinstance(value, Symbol):
        return {"$symbol": value.value}
    if isinstance(value, Undefined):
        return {"$undefined": True}
    if isinstance(value, DBPointer):
        return {"$dbPointer": {"$ref": value.namespace, "$id": {"$oid": str(value.oid)}}}
    if isinstance(value, DBRef):
        return to_ejson(dict(value.as_doc()))
    if isinstance(value, Timestamp):
        return {"$timestamp": {"t": value.time, "i": value.inc}}
    if isinstance(value, MinKey):
        return {"$minKey": 1}
    if isinstance(value, MaxKey):
        return {"$maxKey": 1}
    raise TypeError(f"not a BSON value: {type(value).__name__}")


def from_ejson(value: Any) -> Any:
    """The model value of canonical Extended JSON (inverse of `to_ejson`)."""
    if isinstance(value, list):
        return [from_ejson(v) for v in value]
    if not isinstance(value, dict):
        return value
    typed = scalar_from_ejson(value)
    if typed is not NOT_TYPED:
        return typed
    if "$code" in value and set(value) == {"$code", "$scope"}:
        return Code(value["$code"], from_ejson(value["$scope"]))
    return {k: from_ejson(v) for k, v in value.items()}


NOT_TYPED: Any = object()


def scalar_from_ejson(value: dict[str, Any]) -> Any:
    """The value of a one-key canonical EJSON wrapper, or `NOT_TYPED` for a plain document."""
    if len(value) != 1:
        return NOT_TYPED
    ((key, inner),) = value.items()
    if key == "$numberInt":
        return int(inner)
    if key == "$numberLong":
        return Int64(int(inner))
    if key == "$numberDouble":
        return float(inner)
    if key == "$date" and isinstance(inner, dict):
        return DatetimeMS(int(inner["$numberLong"]))
    if key == "$oid":
        return ObjectId(inner)
    if key == "$binary":
        payload = base64.b64decode(inner["base64"])
        return RawBinary(payload, int(inner["subType"], 16))
    if key == "$numberDecimal":
        return Decimal128(inner)
    if key == "$regularExpression":
        return ExactRegex(inner["pattern"], inner["options"])
    if key == "$code":
        return Code(inner)
    if key == "$symbol":
        return Symbol(inner)
    if key == "$undefined":
        return UNDEFINED
    if key == "$dbPointer":
        return DBPointer(inner["$ref"], ObjectId(inner["$id"]["$oid"]))
    if key == "$timestamp":
        return Timestamp(inner["t"], inner["i"])
    if key == "$minKey":
        return MinKey()
    if key == "$maxKey":
        return MaxKey()
    return NOT_TYPED
