"""The loader's fast paths (natural-document encoder, worker process, staged-row verification).

Real components only: the official `bson` codec writes the dumps, the suite's PostgreSQL stores
them, and the reverse export must give back the source bytes.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import bson
import pytest
from bson import Decimal128, Int64, ObjectId

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.documents.registry import shape_of
from pmo_playbook.documents.registry.columns import Rejected
from pmo_playbook.migration.codec import document as codec
from pmo_playbook.migration.codec.fastpath import canonical, encode_natural
from pmo_playbook.migration.codec.rowcodec import RowCodec
from pmo_playbook.migration.load import pipeline
from pmo_playbook.migration.load.batch import encode_chunk, prepare_batch, rederive
from pmo_playbook.migration.load.loader import LoadOptions
from pmo_playbook.migration.load.run import migrate
from pmo_playbook.migration.mapping import spec_for
from pmo_playbook.migration.reverse.export import export
from pmo_playbook.migration.sources.base import SourceDocument, SourceError
from tests.support.migration import rows, source, write_dump

BASE = datetime(2024, 3, 1, 12, 30, 15, 123000, tzinfo=UTC)


def chat(i: int, **extra: Any) -> dict[str, Any]:
    """A chat history as the legacy app wrote it (schema field order)."""
    t = BASE + timedelta(minutes=i)
    doc: dict[str, Any] = {
        "_id": ObjectId(),
        "sessionId": f"session-{i}",
        "messages": [
            {"role": "user", "content": f"question {i}", "timestamp": t, "confidence": 0.25},
            {"role": "assistant", "content": "answer", "timestamp": t, "selectedSopId": "SOP-001"},
        ],
        "status": "active",
        "startedAt": t,
        "lastActive": t,
        "createdAt": t,
        "updatedAt": t,
        "__v": 0,
    }
    doc.update(extra)
    return doc


ODD_VALUES: list[dict[str, Any]] = [
    {"metadata": {"duration": -0.0}},
    {"metadata": {"duration": 1e16}},
    {"metadata": {"duration": math.inf}},
    {"metadata": {"duration": float("nan")}},
    {"summary": "nul\x00inside"},
    {"metadata": {"duration": Int64(5)}},
    {"metadata": {"duration": Decimal128("1.10")}},
    {"summary": "2024-01-01T00:00:00.000Z", "endedAt": "2024-01-01T00:00:00.000Z"},
    {"userId": ObjectId()},  # an ObjectId where the schema has a string
]


def test_fast_path_matches_the_full_encoder_on_natural_documents() -> None:
    shape = shape_of("chat_histories")
    for i in range(20):
        raw = bson.encode(chat(i))
        fast = encode_natural(raw, shape)
        assert fast is not None, "a natural chat history must take the fast path"
        full = codec.encode_document(raw, shape)
        assert full.annotations is None
        assert fast[0] == full.legacy_id
        assert fast[2] == full.data
        assert fast[1] == canonical(full.data)
        assert fast[2]["messages"][0]["timestamp"] == f"2024-03-01T12:{30 + i:02d}:15.123Z"


@pytest.mark.parametrize("extra", ODD_VALUES, ids=lambda e: repr(e)[:40])
def test_fast_path_declines_what_needs_annotations(extra: dict[str, Any]) -> None:
    shape = shape_of("chat_histories")
    raw = bson.encode(chat(1, **extra))
    assert encode_natural(raw, shape) is None
    spec = spec_for("chat_histories")
    assert spec is not None
    prepared = encode_chunk([(raw, "test")], RowCodec("chat_histories", spec), 0)
    assert len(prepared.rows) == 1 and not prepared.unverified
    assert prepared.rows[0][3] is not None, "the full encoder must have annotated it"


def test_fast_path_declines_a_document_out_of_schema_order() -> None:
    doc = chat(1)
    moved = {"_id": doc.pop("_id"), "status": doc.pop("status"), **doc}
    assert encode_natural(bson.encode(moved), shape_of("chat_histories")) is None


def test_staged_row_verification_names_a_type_change() -> None:
    spec = spec_for("chat_histories")
    assert spec is not None
    codec_ = RowCodec("chat_histories", spec)
    raw = bson.encode(chat(3, metadata={"duration": 2.0}))
    batch = prepare_batch([SourceDocument(raw, "t")], codec_, spec, 0)
    row = batch.rows[0]
    enc = codec_.encode(raw)
    data, notes = enc.data, enc.annotations
    stored_ok = (0, row[1], data, notes, *_compared(codec_, row))
    assert codec_.verify_stored([stored_ok], {0: row}, set(), batch.raw_by_ord) == (1, [])
    changed = {**data, "metadata": {"duration": 2}}  # what `1.0 = 1` in SQL would keep
    stored_bad = (0, row[1], changed, notes, *_compared(codec_, row))
    identical, different = codec_.verify_stored([stored_bad], {0: row}, set(), batch.raw_by_ord)
    assert identical == 0
    assert different == [(row[1], ["metadata.duration"])]


def _compared(codec_: RowCodec, row: tuple[Any, ...]) -> tuple[Any, ...]:
    values = row[4:]
    return tuple(values[i] for i in codec_._compared)


def _dump(tmp_path: Path, n: int) -> Path:
    docs = [chat(i) for i in range(n)]
    for k, extra in enumerate(ODD_VALUES):
        docs[k * 7 + 3] = chat(k * 7 + 3, **extra)
    return write_dump(tmp_path / "dump", {"chat_histories": docs})


def test_worker_load_verifies_every_document_and_exports_the_source_bytes(
    tmp_path: Path, db_url: DatabaseUrl
) -> None:
    dump = _dump(tmp_path, 230)
    pipeline.PEAK_RSS_KIB.pop("chat_histories", None)
    src = source(dump)
    try:
        report = migrate(db_url, src, LoadOptions(batch_size=40, worker_threshold=0))
    finally:
        src.close()
    assert pipeline.PEAK_RSS_KIB.get("chat_histories", 0) > 0, "the worker process was used"
    (col,) = report.collections
    assert (col.read, col.inserted, col.identical, col.different) == (230, 230, 230, 0)
    assert report.ok
    assert rows(db_url, "SELECT count(*) FROM chat_histories WHERE bson_annotations IS NOT NULL")[
        0
    ][0] == len(ODD_VALUES)
    out = tmp_path / "out"
    export(db_url, out)
    source_bytes = (dump / "legacy" / "chat_histories.bson").read_bytes()
    assert next(iter(out.rglob("chat_histories.bson"))).read_bytes() == source_bytes


def test_inline_and_worker_loads_store_the_same_rows(tmp_path: Path, db_url: DatabaseUrl) -> None:
    dump = _dump(tmp_path, 120)
    for threshold in (None, 0):  # inline first, then the worker over the same rows
        src = source(dump)
        try:
            report = migrate(db_url, src, LoadOptions(batch_size=50, worker_threshold=threshold))
        finally:
            src.close()
        assert report.ok
    (col,) = report.collections
    assert (col.inserted, col.updated, col.unchanged, col.identical) == (0, 0, 120, 120)


def test_a_corrupt_document_keeps_the_batches_before_it(
    tmp_path: Path, db_url: DatabaseUrl
) -> None:
    dump = _dump(tmp_path, 120)
    path = dump / "legacy" / "chat_histories.bson"
    data = path.read_bytes()
    at = data.index(b"question 110")
    path.write_bytes(data[:at] + b"\xff" + data[at + 1 :])  # invalid UTF-8 in document 111
    src = source(dump)
    try:
        with pytest.raises(SourceError, match="chat_histories"):
            migrate(db_url, src, LoadOptions(batch_size=50, worker_threshold=0))
    finally:
        src.close()
    assert rows(db_url, "SELECT count(*) FROM chat_histories")[0][0] == 100


def test_rederive_applies_the_callers_extract_after_a_worker_encoded() -> None:
    spec = spec_for("chat_histories")
    assert spec is not None
    docs = [chat(i) for i in range(5)]
    items = [(bson.encode(d), f"doc {i}") for i, d in enumerate(docs)]
    prepared = encode_chunk(items, RowCodec("chat_histories", spec), 10)
    banned = str(docs[2]["_id"])

    def extract(data: dict[str, Any], legacy_id: str) -> tuple[Any, ...]:
        if legacy_id == banned:
            raise Rejected("duplicate _id in the source (first read at document #1)")
        return spec.extract(data, legacy_id)

    wrapped = RowCodec("chat_histories", replace(spec, extract=extract))
    assert pipeline.worker_extract_differs(wrapped.spec, "chat_histories")
    assert not pipeline.worker_extract_differs(spec, "chat_histories")
    rederive(prepared, items, wrapped, 10)
    assert [r[0] for r in prepared.rows] == [10, 11, 13, 14]
    (entry,) = prepared.rejected
    assert entry.legacy_id == banned and entry.position == "doc 2"
    assert entry.reason.startswith("duplicate _id in the source")
