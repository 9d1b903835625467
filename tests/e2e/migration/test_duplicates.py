"""Gap 3: the same `_id` twice in a malformed file source, batches apart, is never overwritten.

Source: a mongodump `.bson` file written with the official `bson` codec (no MongoDB involved).
"""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

import bson
import pytest
from bson import ObjectId

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.load.loader import LoadOptions
from pmo_playbook.migration.load.run import migrate
from pmo_playbook.migration.load.run_guard import source_position
from pmo_playbook.migration.sources import open_source
from tests.e2e.migration.live_helpers import FailAfter, Interrupted, Recording
from tests.support.cli import run_pmo_in_process as run_pmo
from tests.support.migration import rows, write_dump

TOTAL = 7000
FIRST, LATER = 1000, 6000  # 5000 documents apart: different batches of 2000


def _doc(i: int, oid: ObjectId | None = None) -> dict[str, Any]:
    return {"_id": oid or ObjectId(f"{i + 1:024x}"), "messageId": f"m-{i}", "sessionId": "s-1",
            "rating": "helpful", "n": i}  # fmt: skip


def _docs() -> list[dict[str, Any]]:
    docs = [_doc(i) for i in range(TOTAL)]
    docs[LATER] = _doc(LATER, docs[FIRST]["_id"])  # same _id, other content and natural key
    return docs


def test_duplicate_id_batches_apart_is_quarantined_not_overwritten(
    tmp_path: Path, db_url: DatabaseUrl, env_for: dict[str, str]
) -> None:
    dump = write_dump(tmp_path / "dump", {"message_feedback": _docs()})
    oid = str(ObjectId(f"{FIRST + 1:024x}"))
    planned = run_pmo("migrate", "plan", "--from", str(dump), "--json", env=env_for)
    findings = json.loads(planned.stdout)["collections"][0]["findings"]
    assert findings["duplicate_id"]["count"] == 1
    done = run_pmo("migrate", "run", "--from", str(dump), env=env_for)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"quarantined message_feedback _id {oid} (duplicate at document #{LATER + 1})" in (
        done.stdout
    )
    assert "PostgreSQL 6999 rows, ✅ counts match" in done.stdout
    stored = rows(db_url, "SELECT data->>'messageId' FROM message_feedback WHERE legacy_id = %s",
                  (oid,))  # fmt: skip
    assert stored == [(f"m-{FIRST}",)]  # the first occurrence stays
    (entry,) = rows(db_url, "SELECT reason, document, doc_id FROM migration_quarantine "
                            "WHERE resolved_at IS NULL")  # fmt: skip
    assert entry[0].startswith("duplicate _id in the source")
    assert f"#{FIRST + 1}" in entry[0] and f"#{LATER + 1}" in entry[0]
    assert bson.encode(bson.json_util.loads(entry[1])) == bson.encode(_docs()[LATER])
    assert json.loads(entry[2]) == {"$oid": oid}
    # a re-run changes nothing and keeps exactly one open entry
    again = run_pmo("migrate", "run", "--from", str(dump), env=env_for)
    assert again.returncode == 1
    assert rows(db_url, "SELECT count(*) FROM migration_quarantine WHERE resolved_at IS NULL") == [
        (1,)
    ]
    assert rows(db_url, "SELECT count(*) FROM migration_run_documents") == [(0,)]  # cleaned up
    checked = run_pmo("migrate", "verify", "--from", str(dump), "--json", env=env_for)
    result = json.loads(checked.stdout)["collections"]["message_feedback"]
    assert result["duplicate_count"] == 1 and result["different_count"] == 0


def test_resume_after_a_duplicate_maps_back_to_the_source_position(
    tmp_path: Path, db_url: DatabaseUrl
) -> None:
    docs = [_doc(i) for i in range(5000)]
    docs[1500] = _doc(1500, docs[500]["_id"])
    dump = write_dump(tmp_path / "dump", {"message_feedback": docs})
    options = LoadOptions(batch_size=1000)
    with pytest.raises(Interrupted):
        migrate(db_url, FailAfter(open_source(str(dump)), "message_feedback", 3500), options)
    # committed: 2000 documents passed on = source positions 0..2000 without the duplicate 1500
    assert rows(db_url, "SELECT count(*) FROM message_feedback") == [(2000,)]
    recording = Recording(open_source(str(dump)))
    report = migrate(db_url, recording, options)
    assert report.resumed
    assert recording.read["message_feedback"] == 5000 - 2000  # anchor (#2000) + 2001..4999
    assert rows(db_url, "SELECT count(*), count(DISTINCT legacy_id) FROM message_feedback") == [
        (4999, 4999)
    ]
    assert rows(db_url, "SELECT data->>'n' FROM message_feedback WHERE legacy_id = %s",
                (str(docs[500]["_id"]),)) == [("500",)]  # fmt: skip
    (count,) = rows(db_url, "SELECT count(*) FROM migration_quarantine WHERE resolved_at IS NULL")
    assert count == (1,)


def test_source_position_counts_skipped_duplicates_inside_the_loaded_prefix() -> None:
    assert source_position(0, []) == 0
    assert source_position(10, [3, 5]) == 12
    assert source_position(10, [3, 12]) == 11  # 12 - 1 = 11 passed-on documents before it
    assert source_position(4, [4, 5]) == 4  # skips right after the prefix are re-read
    assert source_position(4, [0, 1, 2]) == 7


def _raw_with_duplicate_keys(oid: ObjectId) -> bytes:
    """A document the codec refuses (key `a` twice), built byte by byte."""

    def string(key: bytes, value: bytes) -> bytes:
        return b"\x02" + key + b"\x00" + struct.pack("<i", len(value) + 1) + value + b"\x00"

    body = b"\x07_id\x00" + oid.binary + string(b"messageId", b"m-x") + string(b"a", b"1")
    body += string(b"a", b"2") + b"\x00"
    return struct.pack("<i", len(body) + 4) + body


def test_duplicate_the_codec_refuses_keeps_its_exact_bytes(
    tmp_path: Path, db_url: DatabaseUrl
) -> None:
    first = _doc(0)
    raw = _raw_with_duplicate_keys(first["_id"])
    folder = write_dump(tmp_path / "dump", {"message_feedback": [first, _doc(1)]}) / "legacy"
    path = folder / "message_feedback.bson"
    path.write_bytes(path.read_bytes() + raw)
    report = migrate(db_url, open_source(str(tmp_path / "dump")), LoadOptions(batch_size=1))
    assert not report.ok
    (entry,) = rows(db_url, "SELECT document, document_bson_base64 FROM migration_quarantine")
    assert base64.b64decode(entry[1]) == raw
    assert json.loads(entry[0])["messageId"] == "m-x"  # best-effort rendering for people


def test_refused_document_that_is_not_a_duplicate_is_quarantined_with_its_bytes(
    tmp_path: Path, db_url: DatabaseUrl
) -> None:
    """A document the codec refuses (repeated key) with its own `_id` is quarantined, not fatal."""
    raw = _raw_with_duplicate_keys(ObjectId())
    docs = [_doc(0), _doc(1)]
    folder = write_dump(tmp_path / "dump", {"message_feedback": docs}) / "legacy"
    path = folder / "message_feedback.bson"
    path.write_bytes(path.read_bytes() + raw)
    report = migrate(db_url, open_source(str(tmp_path / "dump")), LoadOptions(batch_size=2))
    assert not report.ok
    assert report.quarantined == 1
    (entry,) = rows(
        db_url, "SELECT document, document_bson_base64, reason FROM migration_quarantine"
    )
    assert base64.b64decode(entry[1]) == raw
    assert "duplicate key 'a'" in entry[2]
    stored = rows(db_url, "SELECT count(*) FROM message_feedback")
    assert stored == [(2,)]
