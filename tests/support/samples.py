"""Test documents and independent writers for every source format (the official `bson` codec).

Nothing here uses the code under test: files are written with `bson.encode` and
`bson.json_util.dumps`, the archive layout and its CRC are built from the format's spec.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import math
import struct
from pathlib import Path
from typing import Any

import bson
from bson import json_util
from bson.binary import Binary, UuidRepresentation
from bson.code import Code
from bson.codec_options import CodecOptions, DatetimeConversion
from bson.datetime_ms import DatetimeMS
from bson.dbref import DBRef
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.json_util import JSONMode, JSONOptions
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.timestamp import Timestamp

UTC = dt.UTC
DECODE = CodecOptions(tz_aware=True, datetime_conversion=DatetimeConversion.DATETIME_AUTO)


def projects(n: int = 23) -> list[dict[str, Any]]:
    """Legacy-shaped project documents (the types JSON.stringify can carry back)."""
    base = dt.datetime(2025, 7, 1, 9, 30, 15, 123000, tzinfo=UTC)
    return [
        {
            "_id": ObjectId(f"{i:024x}"),
            "projectId": f"PRO-{i:03d}",
            "projectName": f"Project {i} – ünïcode",
            "keyDatesMilestones": [
                {"_id": ObjectId(f"{1000 + i:024x}"), "date": base, "description": "kick-off"}
            ],
            "budget": 1000.5 * i + 0.25,
            "teamSize": i,
            "isActive": i % 2 == 0,
            "sponsor": None,
            "createdAt": base + dt.timedelta(days=i),
            "updatedAt": base + dt.timedelta(days=i, hours=1),
            "__v": 0,
        }
        for i in range(1, n + 1)
    ]


def rich() -> list[dict[str, Any]]:
    """Documents holding every BSON type a lossless migration must carry."""
    return [
        {
            "_id": ObjectId("65a000000000000000000001"),
            "int32": 7,
            "int64_small": Int64(7),
            "int64_big": Int64(2**53 + 1),
            "double_whole": 1.0,
            "neg_zero": -0.0,
            "nan": math.nan,
            "inf": -math.inf,
            "decimal": Decimal128("1234.5600"),
            "text": "nul\u0000inside",
            "date": dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
            "far_date": DatetimeMS(253402300800000),
            "bin0": Binary(b"\x00\x01", 0),
            "uuid": Binary(bytes(range(16)), 4),
            "legacy_uuid": Binary(bytes(range(16)), 3),
            "user_bin": Binary(b"x", 0x80),
            "regex": Regex("^a.b", "im"),
            "ts": Timestamp(1700000000, 7),
            "min": MinKey(),
            "max": MaxKey(),
            "code": Code("function () { return 1; }"),
            "ref": DBRef("projects", ObjectId("65a000000000000000000002")),
            "nested": {"z": 1, "a": [1, "two", {"b": None}], "$dollar": True, "dot.ted": False},
        },
        {"_id": ObjectId("65a000000000000000000002"), "empty": {}, "list": []},
    ]


def collections() -> dict[str, list[dict[str, Any]]]:
    """The contract fixture: a legacy collection and a type-rich one."""
    return {"projects": projects(), "rich": rich()}


# ---- writers -----------------------------------------------------------------------------


def write_dump(root: Path, db: str, colls: dict[str, list[dict[str, Any]]], *, gz: bool) -> None:
    """A mongodump directory: <db>/<coll>.bson[.gz] + .metadata.json."""
    folder = root / db
    folder.mkdir(parents=True)
    for name, docs in colls.items():
        data = b"".join(bson.encode(d) for d in docs)
        path = folder / (name + (".bson.gz" if gz else ".bson"))
        path.write_bytes(gzip.compress(data) if gz else data)
        meta = {"indexes": [{"v": 2, "key": {"_id": 1}, "name": "_id_"}], "collectionName": name}
        (folder / f"{name}.metadata.json").write_text(json.dumps(meta))


def crc64_bitwise(data: bytes) -> int:
    """CRC-64/XZ (Go's crc64 ECMA table) computed bit by bit, independent of the source code."""
    crc = 0xFFFFFFFFFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0xC96C5795D7870F42 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFFFFFFFFFF


def build_archive(
    db: str, colls: dict[str, list[dict[str, Any]]]
) -> tuple[bytes, dict[str, list[int]]]:
    """A mongodump archive with interleaved segments (3 documents each); offsets per collection."""
    out = bytearray(struct.pack("<I", 0x8199E26D))
    header = {
        "concurrent_collections": 4,
        "version": "0.1",
        "server_version": "7.0.0",
        "tool_version": "test",
    }
    out += bson.encode(header)
    for name in colls:
        meta = json.dumps({"indexes": [{"v": 2, "key": {"_id": 1}, "name": "_id_"}]})
        out += bson.encode(
            {"db": db, "collection": name, "metadata": meta, "size": 0, "type": "collection"}
        )
    out += b"\xff\xff\xff\xff"
    offsets: dict[str, list[int]] = {name: [] for name in colls}
    pending = {name: [bson.encode(d) for d in docs] for name, docs in colls.items()}
    crc_data = {name: b"".join(raws) for name, raws in pending.items()}
    while any(pending.values()):
        for name, raws in pending.items():
            if not raws:
                continue
            out += bson.encode({"db": db, "collection": name, "EOF": False, "CRC": Int64(0)})
            for raw in raws[:3]:
                offsets[name].append(len(out))
                out += raw
            del raws[:3]
            out += b"\xff\xff\xff\xff"
    for name in colls:
        crc = crc64_bitwise(crc_data[name])
        signed = crc - (1 << 64) if crc >= 1 << 63 else crc
        out += bson.encode({"db": db, "collection": name, "EOF": True, "CRC": Int64(signed)})
        out += b"\xff\xff\xff\xff"
    return bytes(out), offsets


def ejson_options(mode: str) -> JSONOptions:
    """json_util options for 'relaxed', 'canonical' or 'legacy' (v1 forms)."""
    json_mode = {
        "relaxed": JSONMode.RELAXED,
        "canonical": JSONMode.CANONICAL,
        "legacy": JSONMode.LEGACY,
    }[mode]
    return JSONOptions(
        json_mode=json_mode,
        uuid_representation=UuidRepresentation.STANDARD,
        tz_aware=True,
        tzinfo=UTC,
    )


def write_export(
    root: Path, colls: dict[str, list[dict[str, Any]]], mode: str, *, array: bool
) -> None:
    """mongoexport-like files: JSON lines, or `--jsonArray` with one document per line."""
    root.mkdir(parents=True)
    options = ejson_options(mode)
    for name, docs in colls.items():
        lines = [json_util.dumps(d, json_options=options) for d in docs]
        text = "[\n" + ",\n".join(lines) + "\n]\n" if array else "\n".join(lines) + "\n"
        (root / f"{name}.json").write_text(text, encoding="utf-8")
    (root / "export-stats.json").write_text(json.dumps({name: 0 for name in colls}))


def js_stringify_value(value: Any) -> Any:
    """What JSON.stringify makes of a driver value: ObjectId → hex, Date → ISO with millis."""
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, dt.datetime):
        return (
            value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{value.microsecond // 1000:03d}Z"
        )
    if isinstance(value, dict):
        return {k: js_stringify_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [js_stringify_value(v) for v in value]
    return value


def write_seed(root: Path, colls: dict[str, list[dict[str, Any]]]) -> None:
    """The seed guide's export: pretty JSON arrays through JSON.stringify semantics."""
    root.mkdir(parents=True)
    for name, docs in colls.items():
        text = json.dumps([js_stringify_value(d) for d in docs], indent=2, ensure_ascii=False)
        (root / f"{name}.json").write_text(text, encoding="utf-8")
    (root / "export-stats.json").write_text(json.dumps({n: len(d) for n, d in colls.items()}))


# ---- comparison --------------------------------------------------------------------------


def typed(value: Any) -> Any:
    """A comparable form that keeps key order and BSON types (Int32 vs Int64, -0.0, NaN)."""
    if isinstance(value, dict):
        return ("doc", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("array", [typed(v) for v in value])
    if isinstance(value, float):
        return ("double", repr(value))
    if isinstance(value, bytes):  # bson decodes subtype 0 as bytes, others as Binary
        return ("binary", getattr(value, "subtype", 0), bytes(value))
    return (type(value).__name__, value)


def decoded(raw: bytes) -> Any:
    """Typed form of BSON bytes."""
    return typed(bson.decode(raw, DECODE))


def relaxed_loss(value: Any) -> Any:
    """The documented loss of relaxed/v1 JSON: an Int64 that fits Int32 comes back as Int32."""
    if isinstance(value, dict):
        return {k: relaxed_loss(v) for k, v in value.items()}
    if isinstance(value, list):
        return [relaxed_loss(v) for v in value]
    if isinstance(value, Int64) and -(2**31) <= value < 2**31:
        return int(value)
    return value
