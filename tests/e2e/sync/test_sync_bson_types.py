"""BSON types nx-27017 cannot store (Decimal128, Int64, binary subtypes, regex) synced
losslessly. Stand-in: mongomock (in process, full BSON type fidelity, injected as the client);
it has no change streams, so this also exercises the poll fallback (updatedAt watermark and
the `_id` reconciliation for deletes)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import bson
import mongomock
from bson import Binary, Decimal128, Int64, ObjectId, Regex

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.sync.runner import legacy_database, run_sync
from tests.e2e.sync.conftest import postgres_documents, row_count


def _odd_project(n: int, when: datetime) -> dict[str, Any]:
    return {
        "_id": ObjectId(),
        "projectId": f"PRO-{n:03d}",
        "projectName": f"Typed {n}",
        "budget": Decimal128("1234567.8900"),
        "big": Int64(2**62 + n),
        "small64": Int64(7),
        "blob": Binary(b"\x00\x01\xff" * n, 0),
        "uuid": Binary(uuid.UUID(int=n).bytes, 4),
        "custom": Binary(b"legacy", 0x80),
        "pattern": Regex("^PRO-[0-9]+$", re.IGNORECASE | re.MULTILINE),
        "isActive": True,
        "createdAt": when,
        "updatedAt": when,
    }


def _expected(coll: Any) -> dict[str, bytes]:
    return {str(d["_id"]): bson.encode(d) for d in coll.find({})}


def test_sync_bson_types_lossless_mongomock(db_url: DatabaseUrl) -> None:
    client: Any = mongomock.MongoClient(tz_aware=True)
    coll = client["legacy"]["projects"]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    coll.insert_many([_odd_project(n, start) for n in range(1, 4)])
    db = legacy_database("mongodb://stand-in/legacy", client=client)
    run_sync(db_url, db, mode="poll", reconcile_seconds=0)
    assert postgres_documents(db_url, "projects") == _expected(coll)
    later = datetime.now(UTC) + timedelta(seconds=1)
    coll.update_one(
        {"projectId": "PRO-002"}, {"$set": {"budget": Decimal128("-0.00"), "updatedAt": later}}
    )
    coll.delete_one({"projectId": "PRO-003"})
    run_sync(db_url, db, mode="poll", reconcile_seconds=0)
    assert postgres_documents(db_url, "projects") == _expected(coll)
    assert row_count(db_url, "projects") == 2
