"""The loader leaves a mongodump's per-document checks to its encoder.

`MongodumpSource.defer_checks` (set by `loader.deferred_checks` for the load only) hands the
documents out unchecked; `batch.encode_chunk` checks every document the fast encoder does not
accept (in the worker process when there is one). A corrupt document must still stop the run at
its batch with one message naming the file and the byte offset, after the earlier batches were
committed, exactly as when the reader thread checked it. Real dump files, real PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bson
import pytest
from bson import ObjectId

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.codec.rowcodec import RowCodec
from pmo_playbook.migration.load.batch import checks_of, encode_chunk
from pmo_playbook.migration.load.loader import LoadOptions, deferred_checks
from pmo_playbook.migration.load.run import migrate
from pmo_playbook.migration.mapping import spec_for
from pmo_playbook.migration.sources.base import SourceError
from tests.support.migration import rows, source, write_dump


def _feedback(n: int) -> list[dict[str, Any]]:
    t = datetime(2024, 4, 1, tzinfo=UTC)
    return [
        {"_id": ObjectId(), "messageId": f"m-{i}", "sessionId": "s", "rating": "helpful",
         "createdAt": t, "updatedAt": t, "__v": 0}
        for i in range(n)
    ]  # fmt: skip


def _corrupt(path: Path, index: int) -> int:
    """Replace a byte of document `index`'s messageId with invalid UTF-8; its byte offset."""
    data = bytearray(path.read_bytes())
    offset = 0
    for _ in range(index):
        offset += int.from_bytes(data[offset : offset + 4], "little")
    at = data.index(b"m-", offset)
    data[at] = 0xFF  # the C decoder refuses invalid UTF-8
    path.write_bytes(bytes(data))
    return offset


@pytest.mark.parametrize("worker", [True, False], ids=["worker", "inline"])
def test_a_corrupt_document_stops_the_run_at_its_batch(
    tmp_path: Path, db_url: DatabaseUrl, worker: bool
) -> None:
    dump = write_dump(tmp_path / "dump", {"message_feedback": _feedback(25)})
    path = dump / "legacy" / "message_feedback.bson"
    offset = _corrupt(path, 17)  # batch 4 of 5 (batch size 5)
    src = source(dump)
    options = LoadOptions(batch_size=5, worker_threshold=0 if worker else None)
    with pytest.raises(SourceError) as failed:
        migrate(db_url, src, options)
    message = str(failed.value)
    assert message.startswith(f"{path}: corrupt document at offset {offset} ")
    assert "\n" not in message
    assert rows(db_url, "SELECT count(*) FROM message_feedback") == [(15,)]  # batches 1-3
    assert rows(db_url, "SELECT status FROM migration_runs") == [("failed",)]
    assert src.defer_checks is False  # type: ignore[attr-defined]  # the source checks again
    with pytest.raises(SourceError, match=f"corrupt document at offset {offset} "):
        list(src.documents("message_feedback"))


def test_a_clean_dump_loads_with_deferred_checks_and_verifies(
    tmp_path: Path, db_url: DatabaseUrl
) -> None:
    docs = _feedback(40)
    docs[3]["extra"] = [bson.Int64(5), {"b": 1, "a": 2}]  # not natural: the full encoder path
    dump = write_dump(tmp_path / "dump", {"message_feedback": docs})
    report = migrate(db_url, source(dump), LoadOptions(batch_size=8, worker_threshold=0))
    assert report.ok
    assert rows(db_url, "SELECT count(*) FROM message_feedback") == [(40,)]


def test_deferred_documents_are_checked_by_the_encoder(tmp_path: Path) -> None:
    dump = write_dump(tmp_path / "dump", {"message_feedback": _feedback(6)})
    path = dump / "legacy" / "message_feedback.bson"
    offset = _corrupt(path, 4)
    src = source(dump)
    with deferred_checks(src):
        docs = list(src.documents("message_feedback"))  # the source itself no longer checks
    assert [d.unchecked for d in docs][4] == (str(path), offset)
    spec = spec_for("message_feedback")
    assert spec is not None
    codec = RowCodec("message_feedback", spec)
    items = [(d.raw, d.position) for d in docs]
    with pytest.raises(SourceError, match=f"corrupt document at offset {offset} "):
        encode_chunk(items, codec, 0, checks_of(docs))
    assert len(encode_chunk(items[:4], codec, 0, checks_of(docs[:4])).rows) == 4


def test_batches_through_the_worker_quarantine_a_key_taken_by_the_batch_before(
    tmp_path: Path, db_url: DatabaseUrl
) -> None:
    """Batch 2 (encoded in the worker while batch 1 is written) reuses a natural key batch 1
    inserted: its document is quarantined, never written over batch 1's row."""
    docs = _feedback(30)
    docs[8]["messageId"] = docs[2]["messageId"]  # batch 2 reuses batch 1's (messageId, sessionId)
    dump = write_dump(tmp_path / "dump", {"message_feedback": docs})
    options = LoadOptions(batch_size=6, worker_threshold=0)
    report = migrate(db_url, source(dump), options)
    assert not report.ok  # a quarantined document makes the run exit 1
    assert rows(db_url, "SELECT count(*) FROM message_feedback") == [(29,)]
    assert rows(
        db_url, "SELECT legacy_id, reason FROM migration_quarantine WHERE resolved_at IS NULL"
    ) == [(str(docs[8]["_id"]), f"natural key message_id='m-2', session_id='s' already taken by "
          f"_id {docs[2]['_id']}")]  # fmt: skip
    assert rows(db_url, "SELECT next_index FROM migration_checkpoints") == [(30,)]
    again = migrate(db_url, source(dump), options)  # idempotent: nothing changes
    assert rows(db_url, "SELECT count(*) FROM message_feedback") == [(29,)]
    assert sum(c.inserted + c.updated for c in again.collections) == 0
