"""The loader's fast path: natural documents encoded by C code, JSONB bytes, canonical JSON.

Most legacy documents need no annotation: their `data` is the C-decoded document with dates and
ObjectIds written as strings. `encode_natural` builds that JSON with orjson in one C call and then
PROVES it with the real decoder (`codec.decode_document(...) == raw`, byte for byte); whatever
the proof or the JSONB-safety scan rejects (-0.0, floats JSONB would turn into integers, NUL
characters, Int64, Decimal128, odd key order, strings that look like dates at date paths, ...)
goes through the full encoder (`codec.encode_document`). Both paths give the same `data` for a
natural document, so a re-run finds every row unchanged.

`canonical(value)` is the JSON text of a value with sorted keys. Two JSON values with equal
canonical texts are the same value, types included (`1` vs `1.0` vs `true`); the decoder is a
function of that value (it never depends on the key order of a JSON object), which is what lets
the loader verify a stored row by comparing canonical texts (docs/migration-runbook.md).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import bson
import orjson
from bson.codec_options import CodecOptions, DatetimeConversion
from bson.objectid import ObjectId

from pmo_playbook.documents.registry.shape import Node
from pmo_playbook.migration.codec import document as codec

_OPTS: CodecOptions[dict[str, Any]] = CodecOptions(
    datetime_conversion=DatetimeConversion.DATETIME_AUTO
)
_DUMP = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_SORT_KEYS
# Text JSONB would not give back as written: NUL (refused), -0.0 (numeric has no negative zero),
# exponent floats >= 1e16 (returned as integers). False positives only cost the slow path.
_NEG_ZERO = re.compile(rb"-0\.0(?![0-9])")
_BIG_EXPONENT = re.compile(rb"[0-9]e\+")
_OBJECT_ID_ID = b"\x07_id\x00"


def _natural_scalar(value: Any) -> str:
    """orjson `default`: a date or an ObjectId as its natural string; anything else refused."""
    kind = type(value)
    if kind is datetime:
        return str(value.isoformat(timespec="milliseconds")) + "Z"
    if kind is ObjectId:
        return str(value)
    raise TypeError(kind.__name__)


def encode_natural(raw: bytes, shape: Node | None) -> tuple[str, bytes, Any] | None:
    """(legacy_id, canonical data JSON, data) when `raw` needs no annotation, else None.

    None means "use the full encoder", never "cannot be encoded".
    """
    fast = encode_fast(raw, shape)
    if fast is None or fast[3] is not None:
        return None
    return fast[0], fast[1], fast[2]


def encode_fast(raw: bytes, shape: Node | None) -> tuple[str, bytes, Any, bytes | None] | None:
    """(legacy_id, data JSON, data, annotations JSON) of a natural document, or None.

    Natural: every value as `encode_natural` writes it; only the ROOT's field order may differ
    from the shape's (the legacy app `$set` fields later, a dump tool reordered them), in which
    case the annotations are exactly the full encoder's `{"orders": [[[], keys]], "v": 1}`.
    Either way the real decoder must give back `raw` byte for byte, annotations included.
    """
    if raw[4:9] != _OBJECT_ID_ID:
        return None
    try:
        doc = bson.decode(raw, codec_options=_OPTS)
        keys = list(doc)
        del doc["_id"]
        text = orjson.dumps(doc, default=_natural_scalar, option=_DUMP)
    except Exception:  # any type orjson does not write naturally: the full encoder decides
        return None
    if unsafe_for_jsonb(text):
        return None
    data = orjson.loads(text)
    legacy_id = raw[9:21].hex()
    notes = None
    if not codec.in_expected_order(keys[1:], shape):
        notes = {"orders": [[[], keys]], "v": codec.ANNOTATIONS_VERSION}
    try:
        if codec.decode_document(legacy_id, data, notes, shape) != raw:
            return None
    except Exception:  # the full encoder will say what is wrong
        return None
    return legacy_id, text, data, None if notes is None else canonical(notes)


def unsafe_for_jsonb(text: bytes) -> bool:
    """Whether JSON text holds NUL, -0.0 or an exponent float >= 1e16 (see `_NEG_ZERO`).

    Each pattern needs a byte that one memchr finds first (`\\`, `+`) or a literal substring
    search (`-0.0`): one regex with three alternatives and no literal prefix cost ~30 µs on a
    3 KB chat document, this ~2 µs.
    """
    if b"\\" in text and b"\\u0000" in text:
        return True
    if b"+" in text and _BIG_EXPONENT.search(text):
        return True
    return b"-0.0" in text and _NEG_ZERO.search(text) is not None


def canonical(value: Any) -> bytes:
    """JSON text with sorted keys (stdlib json beyond orjson's 255 levels of nesting)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return codec.deep(_json_canonical, value)


def _json_canonical(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode()


def loads(text: bytes) -> Any:
    """Parse JSON text (stdlib json beyond orjson's nesting limit)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return codec.deep(json.loads, text)
