"""The live source through the real pymongo driver.

nx-27017 (a MongoDB wire-protocol stand-in over SQLite) checks the network path: batched
cursors, `_id`-ordered paging, resume by `$gt`. mongomock (an in-process fake client, injected)
checks the BSON types nx-27017 cannot store and resumption across mixed `_id` types.
"""

from __future__ import annotations

import time
import uuid

import bson
import mongomock
import pymongo
import pytest
from bson.objectid import ObjectId

from pmo_playbook.migration.sources import ResumePoint, SourceError, open_source
from pmo_playbook.migration.sources.live import MongoSource, resume_filter
from tests.support import samples


def test_nx_reads_many_documents_in_id_order_across_batches(nx_uri: str) -> None:
    db = f"paging_{uuid.uuid4().hex[:8]}"
    client: pymongo.MongoClient = pymongo.MongoClient(nx_uri)
    docs = [{"_id": ObjectId(f"{i:024x}"), "n": i, "text": "x" * (i % 50)} for i in range(2500)]
    client[db]["chat_histories"].insert_many(list(reversed(docs)))
    source = MongoSource(f"{nx_uri}/{db}", batch_size=100)
    (coll,) = source.collections()
    assert (coll.name, coll.count) == ("chat_histories", 2500)
    got = list(source.documents("chat_histories"))
    assert [bson.decode(d.raw)["n"] for d in got] == list(range(2500))
    assert got[99].resume_after == ResumePoint(index=100, last_id=docs[99]["_id"])
    rest = list(source.documents("chat_histories", got[1233].resume_after))
    assert [d.raw for d in rest] == [d.raw for d in got[1234:]]
    source.close()
    client.close()


def test_nx_live_source_lists_every_collection(nx_uri: str) -> None:
    db = f"list_{uuid.uuid4().hex[:8]}"
    client: pymongo.MongoClient = pymongo.MongoClient(nx_uri)
    for name in ("userfeedback", "projects", "zzz_unmapped"):
        client[db][name].insert_one({"_id": 1})
    source = open_source(f"{nx_uri}/{db}")
    assert [c.name for c in source.collections()] == ["projects", "userfeedback", "zzz_unmapped"]
    source.close()
    client.close()


def test_mongomock_keeps_every_bson_type_exactly() -> None:
    client: mongomock.MongoClient = mongomock.MongoClient()
    docs = samples.rich()
    client["pmo"]["rich"].insert_many([dict(d) for d in docs])
    source = MongoSource(client=client, database="pmo")
    raws = [d.raw for d in source.documents("rich")]
    assert raws == [bson.encode(d) for d in docs]


def test_mongomock_resume_across_mixed_id_types() -> None:
    ids: list[object] = [3, 1.5, 2, "b", "a", {"k": 1}, ObjectId("65a000000000000000000009")]
    client: mongomock.MongoClient = mongomock.MongoClient()
    client["pmo"]["mixed"].insert_many([{"_id": i} for i in ids])
    source = MongoSource(client=client, database="pmo")
    got = list(source.documents("mixed"))
    order = [bson.decode(d.raw)["_id"] for d in got]
    assert order == [1.5, 2, 3, "a", "b", {"k": 1}, ObjectId("65a000000000000000000009")]
    for cut in range(1, len(got)):
        rest = list(source.documents("mixed", got[cut - 1].resume_after))
        assert [d.raw for d in rest] == [d.raw for d in got[cut:]], cut


def test_resume_filter_is_plain_gt_for_one_id_type() -> None:
    oid = ObjectId("65a000000000000000000009")
    assert resume_filter(oid, last_bracket=6) == {"_id": {"$gt": oid}}
    assert resume_filter(5, last_bracket=3) == {
        "$or": [{"_id": {"$gt": 5}}, {"_id": {"$type": "string"}}]
    }


def test_live_index_without_last_id_is_refused() -> None:
    source = MongoSource(client=mongomock.MongoClient(), database="pmo")
    with pytest.raises(SourceError, match="resumes from last_id"):
        list(source.documents("x", ResumePoint(index=5)))


def test_unreachable_uri_fails_quickly_naming_host_without_password() -> None:
    started = time.monotonic()
    with pytest.raises(SourceError) as err:
        source = open_source(
            "mongodb://admin:s3cret@127.0.0.1:1/legacy", server_selection_timeout_ms=300
        )
        source.collections()
    assert time.monotonic() - started < 10
    message = str(err.value)
    assert message.startswith("mongodb://admin:****@127.0.0.1:1/legacy: MongoDB unreachable")
    assert "s3cret" not in message


def test_uri_without_database_is_refused() -> None:
    with pytest.raises(SourceError, match="no database named"):
        open_source("mongodb://127.0.0.1:1/")


def test_database_parameter_overrides_the_uri() -> None:
    client: mongomock.MongoClient = mongomock.MongoClient()
    client["other"]["c"].insert_one({"_id": 1})
    source = open_source("mongodb://h/legacy", database="other", client=client)
    assert [c.name for c in source.collections()] == ["c"]
