"""Exact BSON reading and writing, element by element: the package's one BSON walker.

`read_document(raw)` returns the value model of `values` (nothing lost: Symbol, Undefined,
DBPointer, regex option order, binary payloads stay distinct); `write_document(doc)` writes that
model back to the identical bytes. Both are pure Python and slower than the `bson` C codec, so
the codec uses them only for the rare documents the C codec cannot reproduce, and the dump
readers use `find_array_key_problem` only when the C codec's re-encoding differs from the bytes.

Refused (`BsonShapeError`, the codec turns it into a quarantine reason): malformed BSON,
strings that are not UTF-8, duplicate keys in one document, array keys other than "0", "1", ….
"""

from __future__ import annotations

import struct
from datetime import datetime
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

from pmo_playbook.migration.exact_bson.values import (
    UNDEFINED,
    DBPointer,
    ExactRegex,
    RawBinary,
    Symbol,
    Undefined,
    binary_parts,
    datetime_ms,
    regex_options,
)

_I32 = struct.Struct("<i")
_I64 = struct.Struct("<q")
_U64 = struct.Struct("<Q")
_F64 = struct.Struct("<d")


class BsonShapeError(ValueError):
    """The bytes are not a document the codec can represent exactly (reason in the message)."""


class ArrayKeyError(BsonShapeError):
    """An array element keyed other than by its index, with where it is in the document."""

    def __init__(self, position: int, path: str, index: int, key: str) -> None:
        super().__init__(f"array key {key!r} is not its index {index}")
        self.position = position
        self.detail = f"array '{path}' element {index} has key '{key}' (expected '{index}')"


class _Reader:
    """A cursor over the bytes of one top-level document.

    `unique_keys=False` lets duplicate keys through: the dump readers only ask about array keys
    (a document with duplicate keys is the codec's to quarantine, not a corrupt file).
    """

    def __init__(self, raw: bytes, *, unique_keys: bool = True) -> None:
        self.raw = raw
        self.pos = 0
        self.unique_keys = unique_keys

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if n < 0 or end > len(self.raw):
            raise BsonShapeError(f"truncated BSON at byte {self.pos}")
        chunk = self.raw[self.pos : end]
        self.pos = end
        return chunk

    def int32(self) -> int:
        return int(_I32.unpack(self.take(4))[0])

    def cstring(self) -> str:
        end = self.raw.find(b"\x00", self.pos)
        if end < 0:
            raise BsonShapeError(f"unterminated key or cstring at byte {self.pos}")
        return self._utf8(self.take(end - self.pos + 1)[:-1])

    def string(self) -> str:
        size = self.int32()
        if size < 1:
            raise BsonShapeError(f"bad string length {size} at byte {self.pos - 4}")
        data = self.take(size)
        if data[-1:] != b"\x00":
            raise BsonShapeError(f"string not NUL-terminated before byte {self.pos}")
        return self._utf8(data[:-1])

    def _utf8(self, data: bytes) -> str:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BsonShapeError(f"string is not valid UTF-8 near byte {self.pos}") from exc

    def document(self, as_array: bool = False, path: str = "") -> Any:
        start = self.pos
        size = self.int32()
        end = start + size
        if size < 5 or end > len(self.raw):
            raise BsonShapeError(f"bad document length {size} at byte {start}")
        items: dict[str, Any] = {}
        values: list[Any] = []
        while self.pos < end - 1:
            at = self.pos
            kind = self.take(1)[0]
            key = self.cstring()
            if as_array and key != str(len(values)):
                raise ArrayKeyError(at, path, len(values), key)
            if not as_array and self.unique_keys and key in items:
                raise BsonShapeError(f"duplicate key {key!r} in one document")
            if kind in (0x03, 0x04):  # the path is only needed to name a misplaced array key
                value = self.document(kind == 0x04, f"{path}.{key}" if path else key)
            else:
                value = self.element(kind)
            if as_array:
                values.append(value)
            else:
                items[key] = value
        if self.pos != end - 1 or self.take(1) != b"\x00":
            raise BsonShapeError(f"document at byte {start} does not end where its length says")
        return values if as_array else items

    def element(self, kind: int) -> Any:
        """A value other than a document or array (those are read by `document`)."""
        if kind == 0x01:
            return float(_F64.unpack(self.take(8))[0])
        if kind == 0x02:
            return self.string()
        if kind == 0x05:
            size = self.int32()
            subtype = self.take(1)[0]
            return RawBinary(self.take(size), subtype)
        if kind == 0x06:
            return UNDEFINED
        if kind == 0x07:
            return ObjectId(self.take(12))
        if kind == 0x08:
            flag = self.take(1)[0]
            if flag > 1:
                raise BsonShapeError(f"boolean byte {flag} at byte {self.pos - 1}")
            return flag == 1
        if kind == 0x09:
            return DatetimeMS(int(_I64.unpack(self.take(8))[0]))
        if kind == 0x0A:
            return None
        if kind == 0x0B:
            return ExactRegex(self.cstring(), self.cstring())
        if kind == 0x0C:
            return DBPointer(self.string(), ObjectId(self.take(12)))
        if kind == 0x0D:
            return Code(self.string())
        if kind == 0x0E:
            return Symbol(self.string())
        if kind == 0x0F:
            start = self.pos
            size = self.int32()
            code = Code(self.string(), self.document())
            if self.pos != start + size:
                raise BsonShapeError(f"code-with-scope length {size} wrong at byte {start}")
            return code
        if kind == 0x10:
            return int(_I32.unpack(self.take(4))[0])
        if kind == 0x11:
            packed = int(_U64.unpack(self.take(8))[0])
            return Timestamp(packed >> 32, packed & 0xFFFFFFFF)
        if kind == 0x12:
            return Int64(_I64.unpack(self.take(8))[0])
        if kind == 0x13:
            return Decimal128.from_bid(self.take(16))
        if kind == 0xFF:
            return MinKey()
        if kind == 0x7F:
            return MaxKey()
        raise BsonShapeError(f"unknown BSON type 0x{kind:02x} at byte {self.pos - 1}")


def read_document(raw: bytes) -> dict[str, Any]:
    """Decode one whole BSON document exactly; `BsonShapeError` if it is not valid or exact."""
    reader = _Reader(raw)
    doc: dict[str, Any] = reader.document()
    if reader.pos != len(raw):
        raise BsonShapeError(f"{len(raw) - reader.pos} bytes after the document's end")
    return doc


def find_array_key_problem(raw: bytes) -> tuple[int, str] | None:
    """(position, reason) of the first array element keyed other than by its index, else None.

    For bytes the C decoder accepted: any other shape problem is not this check's to report.
    """
    try:
        _Reader(raw, unique_keys=False).document()
    except ArrayKeyError as exc:
        return exc.position, exc.detail
    except BsonShapeError:
        return None
    return None


def _cstring(text: str) -> bytes:
    data = text.encode("utf-8")
    if b"\x00" in data:
        raise BsonShapeError(f"key or regex {text!r} contains a NUL character")
    return data + b"\x00"


def _string(text: str) -> bytes:
    data = text.encode("utf-8") + b"\x00"
    return _I32.pack(len(data)) + data


def write_document(doc: dict[str, Any]) -> bytes:
    """Encode a document of the value model (keys in the dict's order) to BSON bytes."""
    body = b"".join(_element(key, value) for key, value in doc.items())
    return _I32.pack(len(body) + 5) + body + b"\x00"


def _element(key: str, value: Any) -> bytes:
    kind, payload = _typed(value)
    return bytes((kind,)) + _cstring(key) + payload


def _typed(value: Any) -> tuple[int, bytes]:
    if isinstance(value, Code):  # before str: Code is a str subclass
        if value.scope is None:
            return 0x0D, _string(str(value))
        inner = _string(str(value)) + write_document(dict(value.scope))
        return 0x0F, _I32.pack(len(inner) + 4) + inner
    if isinstance(value, str):
        return 0x02, _string(value)
    if isinstance(value, dict):
        return 0x03, write_document(value)
    if isinstance(value, list):
        return 0x04, write_document({str(i): v for i, v in enumerate(value)})
    if isinstance(value, bool):
        return 0x08, b"\x01" if value else b"\x00"
    if isinstance(value, Int64):
        return 0x12, _I64.pack(int(value))
    if isinstance(value, int):
        if -(2**31) <= value < 2**31:
            return 0x10, _I32.pack(value)
        return 0x12, _I64.pack(value)
    if isinstance(value, float):
        return 0x01, _F64.pack(value)
    if value is None:
        return 0x0A, b""
    if isinstance(value, datetime | DatetimeMS):
        return 0x09, _I64.pack(datetime_ms(value))
    if isinstance(value, ObjectId):
        return 0x07, value.binary
    if isinstance(value, bytes | Binary | RawBinary):
        payload, subtype = binary_parts(value)
        return 0x05, _I32.pack(len(payload)) + bytes((subtype,)) + payload
    if isinstance(value, Decimal128):
        return 0x13, value.bid
    if isinstance(value, ExactRegex):
        return 0x0B, _cstring(value.pattern) + _cstring(value.options)
    if isinstance(value, Regex):
        return 0x0B, _cstring(str(value.pattern)) + _cstring(regex_options(value))
    if isinstance(value, Symbol):
        return 0x0E, _string(value.value)
    if isinstance(value, Undefined):
        return 0x06, b""
    if isinstance(value, DBPointer):
        return 0x0C, _string(value.namespace) + value.oid.binary
    if isinstance(value, DBRef):
        return 0x03, write_document(dict(value.as_doc()))
    if isinstance(value, Timestamp):
        return 0x11, _U64.pack((value.time << 32) | value.inc)
    if isinstance(value, MinKey):
        return 0xFF, b""
    if isinstance(value, MaxKey):
        return 0x7F, b""
    raise BsonShapeError(f"not a BSON value: {type(value).__name__}")
