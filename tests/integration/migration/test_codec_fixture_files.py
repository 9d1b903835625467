"""The real files round-trip exactly through PostgreSQL: mongo-tools' bsondump test data (every
BSON type, a 500-level nested document, a document without `_id`) and the legacy fixture dump.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from pmo_playbook.documents.registry import shape_of
from pmo_playbook.documents.registry.shape import Node
from pmo_playbook.migration.codec.document import canonical_ejson, decode_document, encode_document
from tests.support.bson_gen import cstring, document, split_bson_file, string

BSONDUMP_FILES = ["all_types.bson", "all_in_one_doc.bson", "deep_nested.bson", "sample.bson"]
LEGACY_COLLECTIONS = [
    "agent_sops",
    "change_proposals",
    "chat_histories",
    "human_sops",
    "message_feedback",
    "projects",
    "sop_version_history",
    "userfeedback",
    "users",
]


def _round_trip_through_pg(
    conn: psycopg.Connection[Any], raws: list[bytes], shape: Node | None
) -> list[dict[str, Any] | None]:
    """Store every document in a jsonb table, read all back, decode, compare bytes."""
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS codec_files (n int, legacy_id text, data jsonb, annotations jsonb)"
    )
    conn.execute("TRUNCATE codec_files")
    encoded = [encode_document(raw, shape) for raw in raws]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO codec_files VALUES (%s, %s, %s, %s)",
            [
                (
                    n,
                    e.legacy_id,
                    Jsonb(e.data),
                    None if e.annotations is None else Jsonb(e.annotations),
                )
                for n, e in enumerate(encoded)
            ],
        )
    rows = conn.execute(
        "SELECT n, legacy_id, data, annotations FROM codec_files ORDER BY n"
    ).fetchall()
    assert len(rows) == len(raws)
    for n, legacy_id, data, notes in rows:
        assert decode_document(legacy_id, data, notes, shape) == raws[n], f"document {n}"
    return [row[3] for row in rows]


@pytest.mark.parametrize("name", BSONDUMP_FILES)
def test_codec_bsondump_testdata_round_trips_through_postgresql(
    conn: psycopg.Connection[Any], fixtures_dir: Path, name: str
) -> None:
    raws = list(split_bson_file(fixtures_dir / "mongo-tools-testdata/bsondump/testdata" / name))
    assert raws
    _round_trip_through_pg(conn, raws, None)


def test_codec_legacy_dump_round_trips_with_almost_no_annotations(
    conn: psycopg.Connection[Any], fixtures_dir: Path
) -> None:
    total = annotated = 0
    for collection in LEGACY_COLLECTIONS:
        path = fixtures_dir / "legacy-mongo/dump/pmo_playbook" / f"{collection}.bson"
        raws = list(split_bson_file(path))
        stored = _round_trip_through_pg(conn, raws, shape_of(collection))
        total += len(raws)
        annotated += sum(1 for a in stored if a is not None)
    # Measured: 616 documents, 0 with annotations (the shapes' types and order suffice).
    assert total == 616
    assert annotated / total <= 0.01


def test_codec_legacy_dump_without_shape_needs_annotations(fixtures_dir: Path) -> None:
    """Control: without the shape, dates and field order must be annotated (so the shape matters)."""
    path = fixtures_dir / "legacy-mongo/dump/pmo_playbook/chat_histories.bson"
    raws = list(split_bson_file(path))
    assert all(encode_document(raw).annotations is not None for raw in raws)


def test_codec_every_type_and_binary_subtype_round_trips_through_postgresql(
    conn: psycopg.Connection[Any],
) -> None:
    """One hand-built document per BSON type byte and per binary subtype, through jsonb."""
    oid = bytes(range(12))
    elements: list[tuple[str, tuple[int, bytes]]] = [
        ("double", (0x01, struct.pack("<d", -0.0))),
        ("string", (0x02, string("a\x00b"))),
        ("doc", (0x03, document([("$k", (0x10, struct.pack("<i", 1)))]))),
        ("array", (0x04, document([("0", (0x0A, b""))]))),
        ("undefined", (0x06, b"")),
        ("oid", (0x07, oid)),
        ("bool", (0x08, b"\x01")),
        ("date", (0x09, struct.pack("<q", -(2**62)))),
        ("null", (0x0A, b"")),
        ("regex", (0x0B, cstring("a.b") + cstring("xsmi"))),
        ("dbpointer", (0x0C, string("db.coll") + oid)),
        ("code", (0x0D, string("f()"))),
        ("symbol", (0x0E, string("sym"))),
        ("int32", (0x10, struct.pack("<i", -(2**31)))),
        ("timestamp", (0x11, struct.pack("<Q", 2**64 - 1))),
        ("int64", (0x12, struct.pack("<q", 1))),
        ("decimal", (0x13, bytes(15) + b"\x7c")),  # a NaN Decimal128
        ("minkey", (0xFF, b"")),
        ("maxkey", (0x7F, b"")),
    ]
    scope = document([("x", (0x0E, string("s")))])
    inner = string("g()") + scope
    elements.append(("codews", (0x0F, struct.pack("<i", len(inner) + 4) + inner)))
    for subtype in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x80, 0xFF):
        payload = struct.pack("<i", 2) + b"\x01\x02" if subtype == 2 else bytes(range(16))
        elements.append(
            (f"bin{subtype}", (0x05, struct.pack("<i", len(payload)) + bytes((subtype,)) + payload))
        )
    raws = [
        document([("_id", (0x07, oid)), *elements]),
        document([*elements, ("_id", (0x02, string("x")))]),
    ]
    _round_trip_through_pg(conn, raws, None)
    assert canonical_ejson(raws[0]).count("$binary") == 12
