"""Annotation values: how one BSON value that natural JSON cannot hold is written in JSONB.

Each annotation value is the canonical Extended JSON form of the value (`{"$numberLong": "5"}`,
`{"$binary": {...}}`, ...), with two JSONB-specific changes: a string containing NUL characters
(which JSONB refuses) is written `{"$nul": [parts]}` (the parts joined by NUL give the string),
and a CodeWithScope's scope is an encoded sub-document `{"data": ..., "annotations": ...}`.
A plain JSON string means "this is a string" (used where the shape would decode it as a date
or ObjectId). Decimal128 values whose text does not give back the same 16 bytes (non-canonical
encodings) add `"$bid": <hex>`; NaNs with an unusual sign or payload add `"$bits": <hex>`.
"""

from __future__ import annotations

import base64
import math
import struct
import uuid
from collections.abc import Callable
from typing import Any

from bson.binary import Binary
from bson.code import Code
from bson.datetime_ms import DatetimeMS
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.timestamp import Timestamp

from pmo_playbook.migration.exact_bson.values import (
    NOT_TYPED,
    DBPointer,
    ExactRegex,
    RawBinary,
    Symbol,
    Undefined,
    binary_parts,
    double_text,
    ms_to_iso,
    regex_options,
    scalar_from_ejson,
)

_CANONICAL_NAN = struct.pack("<d", math.nan)
EncodeNested = Callable[[dict[str, Any]], dict[str, Any]]
DecodeNested = Callable[[dict[str, Any]], tuple[dict[str, Any], bool]]


def safe_str(text: str) -> Any:
    """A string as JSONB can hold it: itself, or `{"$nul": parts}` when it contains NUL."""
    return {"$nul": text.split("\x00")} if "\x00" in text else text


def unsafe_str(value: Any) -> str:
    """Inverse of `safe_str`."""
    if isinstance(value, str):
        return value
    return "\x00".join(value["$nul"])


def visible(text: str) -> str:
    """The text shown in `data` for a string with NUL characters (U+FFFD in their place)."""
    return text.replace("\x00", "\ufffd")


def double_note(value: float) -> tuple[Any, Any]:
    """(data value, annotation) of a double natural JSON cannot return exactly."""
    data = value if math.isfinite(value) else None
    if data == 0.0:
        data = 0.0  # -0.0: JSONB has no negative zero
    note: dict[str, Any] = {"$numberDouble": double_text(value)}
    bits = struct.pack("<d", value)
    if math.isnan(value) and bits != _CANONICAL_NAN:
        note["$bits"] = bits.hex()  # a NaN with a sign or payload other than the usual one
    return data, note


def exotic_note(value: Any, encode_nested: EncodeNested) -> tuple[Any, Any]:
    """(data value, annotation) of a value of a type natural JSON does not have."""
    if isinstance(value, Int64):
        return int(value), {"$numberLong": str(int(value))}
    if isinstance(value, Decimal128):
        text = str(value)
        note: dict[str, Any] = {"$numberDecimal": text}
        if Decimal128(text).bid != value.bid:
            note["$bid"] = value.bid.hex()
        return text, note
    if isinstance(value, bytes | Binary | RawBinary):
        payload, subtype = binary_parts(value)
        b64 = base64.b64encode(payload).decode("ascii")
        shown = str(uuid.UUID(bytes=payload)) if subtype in (3, 4) and len(payload) == 16 else b64
        return shown, {"$binary": {"base64": b64, "subType": f"{subtype:02x}"}}
    if isinstance(value, Regex | ExactRegex):
        options = value.options if isinstance(value, ExactRegex) else regex_options(value)
        pattern = str(value.pattern)
        rx = {"pattern": pattern, "options": options}
        return f"/{pattern}/{options}", {"$regularExpression": rx}
    if isinstance(value, Code):
        code = str(value)
        if value.scope is None:
            return visible(code), {"$code": safe_str(code)}
        scope = encode_nested(dict(value.scope))
        return visible(code), {"$code": safe_str(code), "$scope": scope}
    if isinstance(value, Symbol):
        return visible(value.value), {"$symbol": safe_str(value.value)}
    if isinstance(value, Undefined):
        return None, {"$undefined": True}
    if isinstance(value, DBPointer):
        ref = {"$ref": safe_str(value.namespace), "$id": {"$oid": str(value.oid)}}
        return {"$ref": visible(value.namespace), "$id": str(value.oid)}, {"$dbPointer": ref}
    if isinstance(value, Timestamp):
        return {"t": value.time, "i": value.inc}, {"$timestamp": {"t": value.time, "i": value.inc}}
    if isinstance(value, MinKey):
        return None, {"$minKey": 1}
    if isinstance(value, MaxKey):
        return None, {"$maxKey": 1}
    if isinstance(value, DatetimeMS):
        return ms_to_iso(int(value)), {"$date": {"$numberLong": str(int(value))}}
    if isinstance(value, ObjectId):
        return str(value), {"$oid": str(value)}
    raise TypeError(f"not a BSON value: {type(value).__name__}")


def value_of_note(note: Any, decode_nested: DecodeNested) -> tuple[Any, bool]:
    """(value, needs the exact writer) of one annotation value (inverse of the notes above)."""
    if isinstance(note, str):
        return note, False
    if not isinstance(note, dict):
        raise ValueError(f"annotation value {note!r} is not understood")
    if "$nul" in note:
        return unsafe_str(note), False
    if "$code" in note:
        code = unsafe_str(note["$code"])
        if "$scope" not in note:
            return Code(code), False
        scope, _ = decode_nested(note["$scope"])
        return Code(code, scope), True
    if "$symbol" in note:
        return Symbol(unsafe_str(note["$symbol"])), True
    if "$dbPointer" in note:
        ref = note["$dbPointer"]
        return DBPointer(unsafe_str(ref["$ref"]), ObjectId(ref["$id"]["$oid"])), True
    if "$bits" in note:
        return float(struct.unpack("<d", bytes.fromhex(note["$bits"]))[0]), False
    if "$bid" in note:
        return Decimal128.from_bid(bytes.fromhex(note["$bid"])), False
    value = scalar_from_ejson(note)
    if isinstance(value, RawBinary):
        if value.subtype == 2:
            return value, True
        return Binary(value.payload, value.subtype), False
    if isinstance(value, ExactRegex):
        return value, True
    if isinstance(value, Undefined):
        return value, True
    if value is NOT_TYPED:
        raise ValueError(f"annotation value {note!r} is not understood")
    return value, False
