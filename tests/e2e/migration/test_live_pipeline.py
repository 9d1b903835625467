"""The live MongoDB source through the whole pipeline: plan, run, verify, abort and resume.

Stand-ins (no real mongod can be installed here):
- nx-27017: a MongoDB wire-protocol server over SQLite, spoken to by the REAL pymongo driver
  (network, batched cursors, `_id`-ordered paging). Used for legacy-shaped data: the shared
  fixture dump's documents are inserted as raw BSON through pymongo.
- mongomock: an in-process fake client injected into the library API, for the BSON types
  nx-27017 cannot store (Decimal128, NaN payloads, regex flags, MinKey, ...) and mixed `_id` types.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import bson
import mongomock
import pymongo
import pytest
from bson.objectid import ObjectId

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.load.loader import LoadOptions
from pmo_playbook.migration.load.run import migrate
from pmo_playbook.migration.sources import open_source
from pmo_playbook.migration.sources.live import MongoSource
from pmo_playbook.migration.verify.compare import verify
from tests.e2e.migration.live_helpers import FailAfter, Interrupted, Recording, dump_documents
from tests.support import samples
from tests.support.cli import run_pmo_in_process as run_pmo
from tests.support.migration import rows


def _legacy_database(nx_uri: str, fixtures_dir: Path) -> tuple[str, dict[str, int]]:
    """A fresh nx-27017 database holding the shared legacy dump (inserted through pymongo)."""
    name = f"legacy_{uuid.uuid4().hex[:8]}"
    docs = dump_documents(fixtures_dir / "legacy-mongo" / "dump" / "pmo_playbook")
    with pymongo.MongoClient(nx_uri) as client:
        for collection, items in docs.items():
            client[name][collection].insert_many(items)
    return f"{nx_uri}/{name}", {c: len(d) for c, d in docs.items()}


def test_nx_cli_plan_run_verify_the_shared_legacy_dump(
    nx_uri: str, fixtures_dir: Path, db_url: DatabaseUrl, env_for: dict[str, str]
) -> None:
    """nx-27017 + real pymongo: `pmo migrate plan/run --from mongodb://...`, verify via MONGODB_URI."""
    uri, counts = _legacy_database(nx_uri, fixtures_dir)
    manifest = json.loads((fixtures_dir / "legacy-mongo" / "manifest.json").read_text())
    assert counts == {k: v["count"] for k, v in manifest["collections"].items()}
    planned = run_pmo("migrate", "plan", "--from", uri, "--json", env=env_for)
    assert planned.returncode == 0, planned.stderr
    plan = {c["collection"]: c for c in json.loads(planned.stdout)["collections"]}
    assert plan["userfeedback"]["table"] == "user_feedback"
    assert plan["sop_version_history"]["count"] == counts["sop_version_history"]
    done = run_pmo("migrate", "run", "--from", uri, "--report", "/dev/stdout", env=env_for)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "projects: MongoDB 40 documents, PostgreSQL 40 rows" in done.stdout
    assert rows(db_url, "SELECT count(*) FROM user_feedback") == [(counts["userfeedback"],)]
    checked = run_pmo("migrate", "verify", "--json", env={**env_for, "MONGODB_URI": uri})
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["ok"] is True


def test_nx_run_aborted_mid_collection_resumes_after_the_last_id(
    nx_uri: str, db_url: DatabaseUrl
) -> None:
    """nx-27017 + real pymongo: the source dies after 2500 documents; the re-run asks the
    server for `_id > last committed _id` and reads only the rest: no duplicates, no gaps."""
    name = f"resume_{uuid.uuid4().hex[:8]}"
    total = 5000
    with pymongo.MongoClient(nx_uri) as client:
        docs = [
            {"_id": ObjectId(f"{i + 1:024x}"), "messageId": f"m-{i}", "sessionId": "s-1",
             "rating": "helpful"} for i in range(total)
        ]  # fmt: skip
        client[name]["message_feedback"].insert_many(docs)
    uri = f"{nx_uri}/{name}"
    with pytest.raises(Interrupted):
        migrate(db_url, FailAfter(open_source(uri), "message_feedback", 2500),
                LoadOptions(batch_size=1000))  # fmt: skip
    committed = rows(db_url, "SELECT count(*) FROM message_feedback")[0][0]
    assert committed == 2000  # two whole batches; the third died before its commit
    recording = Recording(open_source(uri))
    report = migrate(db_url, recording, LoadOptions(batch_size=1000))
    assert report.resumed and report.ok
    resume = recording.resumes["message_feedback"]
    assert resume is not None and resume.last_id == ObjectId(f"{committed:024x}")
    assert recording.read["message_feedback"] == total - committed
    assert rows(db_url, "SELECT count(*), count(DISTINCT legacy_id) FROM message_feedback") == [
        (total, total)
    ]
    assert verify(db_url, open_source(uri)).ok


def test_mongomock_every_bson_type_migrates_and_verifies(db_url: DatabaseUrl) -> None:
    """mongomock (injected client): the types nx-27017 cannot store, through migrate + verify."""
    client: mongomock.MongoClient = mongomock.MongoClient()
    docs = samples.rich()
    client["pmo"]["rich"].insert_many([dict(d) for d in docs])
    source = MongoSource(client=client, database="pmo")
    report = migrate(db_url, source, LoadOptions(include_unmapped=True))
    assert report.ok, report.as_json()
    assert report.collections[0].identical == len(docs)
    result = verify(db_url, source, include_unmapped=True)
    assert result.ok, result.as_json()
    stored = rows(db_url, "SELECT count(*) FROM legacy_documents WHERE collection = 'rich'")
    assert stored == [(len(docs),)]
    assert [bson.encode(d) for d in docs] == [d.raw for d in source.documents("rich")]


def test_mongomock_mixed_id_types_abort_and_resume(db_url: DatabaseUrl) -> None:
    """mongomock (injected client): `_id`s of several types (number, string, document,
    ObjectId) resume exactly across type brackets after an abort mid-collection."""
    ids: list[object] = [*range(7), *(f"s{i}" for i in range(7)), {"k": 1}, {"k": 2},
                         *(ObjectId(f"{i + 1:024x}") for i in range(7))]  # fmt: skip
    client: mongomock.MongoClient = mongomock.MongoClient()
    client["pmo"]["mixed"].insert_many([{"_id": i, "n": n} for n, i in enumerate(ids)])
    source = MongoSource(client=client, database="pmo")
    options = LoadOptions(include_unmapped=True, batch_size=4)
    with pytest.raises(Interrupted):
        migrate(db_url, FailAfter(source, "mixed", 10), options)
    assert rows(db_url, "SELECT count(*) FROM legacy_documents") == [(8,)]
    recording = Recording(source)
    report = migrate(db_url, recording, options)
    assert report.resumed and report.ok
    assert recording.read["mixed"] == len(ids) - 8
    assert rows(db_url, "SELECT count(*), count(DISTINCT legacy_id) FROM legacy_documents") == [
        (len(ids), len(ids))
    ]
    assert verify(db_url, source, include_unmapped=True).ok
