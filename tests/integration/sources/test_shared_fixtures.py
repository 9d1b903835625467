"""The shared fixtures: the realistic legacy dump and export, the seed guide's real export,
and the files written by the real mongodump / bsondump (mongo-tools testdata, see NOTICE.md)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import bson
import pytest
from bson import json_util
from bson.json_util import CANONICAL_JSON_OPTIONS
from bson.objectid import ObjectId

from pmo_playbook.migration.sources import SourceError, open_source
from pmo_playbook.migration.sources.archive import ArchiveSource
from pmo_playbook.migration.sources.mongodump import MongodumpSource
from tests.support.samples import DECODE

LEGACY_COLLECTIONS = [
    "agent_sops", "change_proposals", "chat_histories", "human_sops", "message_feedback",
    "projects", "sop_version_history", "userfeedback", "users",
]  # fmt: skip


def manifest_digest(raws: list[bytes]) -> str:
    """The manifest's digest: sha256 of the sorted canonical Extended JSON lines (sorted keys)."""
    lines = sorted(
        json_util.dumps(bson.decode(r, DECODE), json_options=CANONICAL_JSON_OPTIONS, sort_keys=True)
        for r in raws
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@pytest.mark.parametrize("folder", ["dump", "dump/pmo_playbook", "export"])
def test_legacy_fixture_matches_manifest(fixtures_dir: Path, folder: str) -> None:
    manifest = json.loads((fixtures_dir / "legacy-mongo/manifest.json").read_text())
    source = open_source(str(fixtures_dir / "legacy-mongo" / folder))
    assert [c.name for c in source.collections()] == LEGACY_COLLECTIONS
    for coll in source.collections():
        raws = [d.raw for d in source.documents(coll.name)]
        expected = manifest["collections"][coll.name]
        assert len(raws) == expected["count"]
        assert coll.count in (None, expected["count"])
        assert manifest_digest(raws) == expected["sha256"], coll.name


def test_legacy_dump_bytes_are_file_slices(fixtures_dir: Path) -> None:
    path = fixtures_dir / "legacy-mongo/dump/pmo_playbook/projects.bson"
    source = open_source(str(path.parent))
    assert b"".join(d.raw for d in source.documents("projects")) == path.read_bytes()
    projects = next(c for c in source.collections() if c.name == "projects")
    assert projects.size_bytes == path.stat().st_size
    assert {ix["name"] for ix in projects.indexes} >= {"_id_", "projectId_1"}


def test_seed_export_restores_dates_and_ids(fixtures_dir: Path) -> None:
    source = open_source(str(fixtures_dir / "seed-export"))
    assert source.kind == "seed-json"
    stats = json.loads((fixtures_dir / "seed-export/export-stats.json").read_text())
    assert sorted(c.name for c in source.collections()) == sorted(stats)
    for name, count in stats.items():
        assert len(list(source.documents(name))) == count, name
    chat = bson.decode(next(source.documents("chat_histories")).raw, DECODE)
    assert isinstance(chat["_id"], ObjectId)
    for key in ("startedAt", "lastActive", "createdAt", "updatedAt"):
        assert isinstance(chat[key], dt.datetime), key
    assert all(isinstance(m["timestamp"], dt.datetime) for m in chat["messages"])
    agent = bson.decode(next(source.documents("agent_sops")).raw, DECODE)
    assert isinstance(agent["humanSopId"], ObjectId)
    assert isinstance(agent["lastSyncedAt"], dt.datetime)
    assert isinstance(agent["sopId"], str)
    project = bson.decode(next(source.documents("projects")).raw, DECODE)
    milestone = project["keyDatesMilestones"][0]
    assert isinstance(milestone["_id"], ObjectId) and isinstance(milestone["date"], dt.datetime)


def test_seed_export_values_match_the_json(fixtures_dir: Path) -> None:
    """The restored dates are the instants the JSON held (millisecond precision, UTC)."""
    text = json.loads((fixtures_dir / "seed-export/agent_sops.json").read_text())[0]
    source = open_source(str(fixtures_dir / "seed-export"))
    doc = bson.decode(next(source.documents("agent_sops")).raw, DECODE)
    assert str(doc["_id"]) == text["_id"]
    assert doc["createdAt"] == dt.datetime.fromisoformat(text["createdAt"])
    assert list(doc) == list(text)  # key order kept


TESTDATA = "mongo-tools-testdata"
BSONDUMP = f"{TESTDATA}/bsondump/testdata"
RESTORE = f"{TESTDATA}/mongorestore/testdata"


@pytest.mark.parametrize(
    ("name", "count"),
    [("all_types", 20), ("all_in_one_doc", 1), ("deep_nested", 1), ("sample", 4)],
)
def test_bsondump_valid_files_read_as_exact_slices(
    fixtures_dir: Path, name: str, count: int
) -> None:
    path = fixtures_dir / BSONDUMP / f"{name}.bson"
    source = open_source(str(path))
    docs = list(source.documents(name))
    assert len(docs) == count
    data = path.read_bytes()
    offset = 0
    for doc in docs:
        assert doc.raw == data[offset : offset + len(doc.raw)]
        assert doc.position == f"{path} offset {offset}"
        offset += len(doc.raw)
    assert offset == len(data)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad_cstring", "offset 0"),
        ("bad_type", "offset 0 (82 bytes): Detected unknown BSON type"),
        ("broken_array", "offset 561: array 'ex' element 2 has key '9' (expected '2')"),
        ("invalid_field_name", "truncated document at offset 283 (needs 4 bytes, 1 left)"),
        ("partial_file", "truncated document at offset 164 (needs 48 bytes, 13 left)"),
        ("random_bytes", "invalid document length 1625369376 at offset 0"),
    ],
)
def test_bsondump_corrupt_files_fail_naming_file_and_offset(
    fixtures_dir: Path, name: str, message: str
) -> None:
    path = fixtures_dir / BSONDUMP / f"{name}.bson"
    with pytest.raises(SourceError) as err:
        source = open_source(str(path))
        list(source.documents(name))
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("archive", "database", "counts", "excluded"),
    [
        ("test.bar.archive", "test", {"bar": 1}, ["admin.system.version"]),
        ("dump-w-oplog.archive", "test", {"foo": 25}, ["oplog", "admin.system.version"]),
        (
            "timeseries_tests/dump.archive",
            "timeseries_test",
            {"system.buckets.foo_ts": 10},
            ["timeseries_test.foo_ts", "admin.system.version"],
        ),
    ],
)
def test_real_archives_read(
    fixtures_dir: Path, archive: str, database: str, counts: dict[str, int], excluded: list[str]
) -> None:
    source = open_source(str(fixtures_dir / RESTORE / archive))
    assert isinstance(source, ArchiveSource)
    assert source.database == database
    assert {c.name: c.count for c in source.collections()} == counts
    for name, count in counts.items():
        assert len(list(source.documents(name))) == count
    notes = " ".join(source.excluded)
    for item in excluded:
        assert item in notes


def test_real_archive_admin_database_can_be_selected(fixtures_dir: Path) -> None:
    source = open_source(str(fixtures_dir / RESTORE / "test.bar.archive"), database="admin")
    assert [c.name for c in source.collections()] == ["system.version"]


def test_bad_format_archive_fails_clearly(fixtures_dir: Path) -> None:
    path = fixtures_dir / RESTORE / "bad-format.archive"
    with pytest.raises(SourceError) as err:
        open_source(str(path))
    assert str(err.value).startswith(f"{path}: metadata of test.ixtest is not valid Extended JSON")
    assert "at offset 106" in str(err.value)


@pytest.mark.parametrize(
    ("folder", "server"),
    [
        ("prelude_test/prelude_top_level", "7.0.16"),
        ("prelude_test/prelude_db_target", "7.0.16"),
        ("prelude_test/prelude_gzip", "7.0.16"),
        ("prelude_test/server_version_unknown", "unknown"),
    ],
)
def test_prelude_dumps_read(fixtures_dir: Path, folder: str, server: str) -> None:
    source = open_source(str(fixtures_dir / RESTORE / folder))
    assert isinstance(source, MongodumpSource)
    assert source.prelude["ServerVersion"] == server
    assert [c.name for c in source.collections()] == ["foo"]
    docs = [bson.decode(d.raw, DECODE) for d in source.documents("foo")]
    assert len(docs) == 1


def test_percent_encoded_collection_name(fixtures_dir: Path) -> None:
    source = open_source(str(fixtures_dir / RESTORE / "specialcharacter"))
    (coll,) = source.collections()
    assert coll.name == "cafés"
    assert coll.indexes[0]["ns"] == "test.cafés"
    assert len(list(source.documents("cafés"))) == 1


def test_index_metadata_is_listed(fixtures_dir: Path) -> None:
    source = open_source(str(fixtures_dir / RESTORE / "coll_with_index"))
    (coll,) = source.collections()
    assert len(coll.indexes) == 2 and coll.count == 1
