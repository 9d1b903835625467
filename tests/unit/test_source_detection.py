"""Detection rules, the seed-json typing rule, and one clear error per failure (file + place)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import bson
import pytest
from bson.datetime_ms import DatetimeMS
from bson.objectid import ObjectId

from pmo_playbook.migration.sources import (
    SourceError,
    count_documents,
    detect_format,
    jsonstream,
    open_source,
)
from pmo_playbook.migration.sources.mongodump import MongodumpSource
from tests.support import samples
from tests.support.samples import DECODE


def _docs(source_spec: str, coll: str, **kw: object) -> list[dict[str, object]]:
    source = open_source(source_spec, **kw)  # type: ignore[arg-type]
    return [bson.decode(d.raw, DECODE) for d in source.documents(coll)]


def test_detect_each_kind(tmp_path: Path) -> None:
    colls = {"projects": samples.projects(3)}
    samples.write_dump(tmp_path / "dump", "pmo", colls, gz=False)
    samples.write_export(tmp_path / "export", colls, "relaxed", array=True)
    samples.write_seed(tmp_path / "seed", colls)
    data, _ = samples.build_archive("pmo", colls)
    (tmp_path / "a.archive").write_bytes(data)
    (tmp_path / "a.gz").write_bytes(gzip.compress(data))
    assert detect_format("mongodb+srv://u:p@cluster.example/pmo") == "mongodb"
    assert detect_format(str(tmp_path / "dump")) == "mongodump"
    assert detect_format(str(tmp_path / "dump/pmo/projects.bson")) == "mongodump"
    assert detect_format(str(tmp_path / "export")) == "mongoexport"
    assert detect_format(str(tmp_path / "export/projects.json")) == "mongoexport"
    assert detect_format(str(tmp_path / "seed")) == "seed-json"
    assert detect_format(str(tmp_path / "a.archive")) == "archive"
    assert detect_format(str(tmp_path / "a.gz")) == "archive"


def test_detect_refuses_unknown_missing_and_mixed(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(SourceError, match=r"notes\.txt: unknown source format"):
        detect_format(str(tmp_path / "notes.txt"))
    with pytest.raises(SourceError, match="no such file or directory"):
        open_source(str(tmp_path / "missing"))
    with pytest.raises(SourceError, match="unknown source format 'csv'"):
        open_source(str(tmp_path), format="csv")
    mixed = tmp_path / "mixed"
    samples.write_seed(mixed, {"projects": samples.projects(2)})
    (mixed / "users.json").write_text('{"_id": {"$oid": "65a000000000000000000001"}}\n')
    with pytest.raises(SourceError, match="ambiguous JSON export"):
        detect_format(str(mixed))


def test_format_override_reads_seed_arrays_as_plain_json(tmp_path: Path) -> None:
    samples.write_seed(tmp_path / "seed", {"projects": samples.projects(1)})
    (doc,) = _docs(str(tmp_path / "seed"), "projects", format="mongoexport")
    assert isinstance(doc["_id"], str) and isinstance(doc["createdAt"], str)


def test_seed_rule_outside_the_legacy_models(tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    seed.mkdir()
    doc = {
        "_id": "65a0000000000000000000aa",
        "when": "2025-01-02T03:04:05.678Z",
        "day": "2025-01-02",
        "no_millis": "2025-01-02T03:04:05Z",
        "far": "+275760-09-13T00:00:00.000Z",
        "ref": "65a0000000000000000000bb",
        "items": [{"_id": "65a0000000000000000000cc", "at": "1999-12-31T23:59:59.999Z"}],
    }
    (seed / "custom_things.json").write_text(json.dumps([doc]))
    (got,) = _docs(str(seed), "custom_things")
    assert got["_id"] == ObjectId(doc["_id"])
    assert got["when"] == dt.datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC)
    assert got["day"] == "2025-01-02" and got["no_millis"] == "2025-01-02T03:04:05Z"
    assert got["far"] == DatetimeMS(8_640_000_000_000_000)
    assert got["ref"] == "65a0000000000000000000bb"  # not an _id: stays a string
    assert got["items"][0]["_id"] == ObjectId("65a0000000000000000000cc")
    assert got["items"][0]["at"] == dt.datetime(1999, 12, 31, 23, 59, 59, 999000, tzinfo=dt.UTC)


def test_seed_declared_strings_are_never_reinterpreted(tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    seed.mkdir()
    doc = {
        "_id": "65a0000000000000000000aa",
        "projectName": "2025-01-02T03:04:05.678Z",
        "createdAt": "2025-01-02T03:04:05.678Z",
        "extraField": "2025-01-02T03:04:05.678Z",
    }
    (seed / "projects.json").write_text(json.dumps([doc]))
    (got,) = _docs(str(seed), "projects")
    assert got["projectName"] == "2025-01-02T03:04:05.678Z"
    assert isinstance(got["createdAt"], dt.datetime)
    assert isinstance(got["extraField"], dt.datetime)  # undeclared: general rule


def test_seed_aliases_use_the_legacy_typed_paths(tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    seed.mkdir()
    doc = {"_id": "65a0000000000000000000aa", "createdAt": "2025-01-02T03:04:05.678Z"}
    (seed / "sop_version_histories.json").write_text(json.dumps([doc]))
    (got,) = _docs(str(seed), "sop_version_histories")
    assert isinstance(got["_id"], ObjectId) and isinstance(got["createdAt"], dt.datetime)


def test_truncated_bson_in_dump_names_file_and_offset(tmp_path: Path) -> None:
    samples.write_dump(tmp_path / "dump", "pmo", {"projects": samples.projects(3)}, gz=False)
    path = tmp_path / "dump/pmo/projects.bson"
    data = path.read_bytes()
    first, second = (len(bson.encode(d)) for d in samples.projects(2))
    path.write_bytes(data[: first + second + 17])
    third = len(data) - first - second
    expected = (
        f"{path}: truncated document at offset {first + second} (needs {third} bytes, 17 left)"
    )
    with pytest.raises(SourceError) as err:
        open_source(str(tmp_path / "dump")).collections()
    assert str(err.value) == expected


def test_truncated_bson_gz_fails_while_reading(tmp_path: Path) -> None:
    samples.write_dump(tmp_path / "dump", "pmo", {"projects": samples.projects(3)}, gz=True)
    path = tmp_path / "dump/pmo/projects.bson.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-5]))
    source = open_source(str(tmp_path / "dump"))
    assert source.collections()[0].count is None
    with pytest.raises(SourceError, match=r"projects.bson.gz: truncated document at offset \d+"):
        list(source.documents("projects"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1}\n{"a": 2}\n{"a": 3,,}\n', "line 3: invalid JSON"),
        ('{"a": 1}\n\n{"a": 1, "a": 2}\n', "line 3: invalid Extended JSON: duplicate key 'a'"),
        ('[\n{"a": 1}\n{"a": 2}\n]', "line 3: expected ',' or ']'"),
        ('[\n{"a": 1},\n42\n]', "line 3: expected a JSON object"),
        ('[\n{"a": 1},\n', "unexpected end of file inside the JSON array"),
        ('{"big": 99999999999999999999}\n', "line 1: cannot be stored as BSON"),
        ('{"d": {"$date": "yesterday"}}\n', "line 1: invalid Extended JSON"),
    ],
)
def test_invalid_json_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "things.json"
    path.write_text(text)
    with pytest.raises(SourceError) as err:
        list(open_source(str(path), format="mongoexport").documents("things"))
    assert str(err.value).startswith(f"{path} line ")
    assert message in str(err.value)


def test_json_array_streams_across_small_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonstream, "CHUNK_CHARS", 64)
    colls = {"projects": samples.projects(23)}
    samples.write_export(tmp_path / "export", colls, "canonical", array=True)
    source = open_source(str(tmp_path / "export"))
    got = list(source.documents("projects"))
    assert [samples.decoded(d.raw) for d in got] == [samples.typed(d) for d in colls["projects"]]
    assert [d.position.rsplit(" ", 1)[1] for d in got] == [str(i + 2) for i in range(23)]


def test_archive_crc_mismatch_and_truncation_are_detected(tmp_path: Path) -> None:
    data, offsets = samples.build_archive("pmo", {"projects": samples.projects(4)})
    name_at = data.index(b"Project 2")
    corrupt = data[:name_at] + b"Q" + data[name_at + 1 :]
    (tmp_path / "crc.archive").write_bytes(corrupt)
    with pytest.raises(SourceError, match=r"CRC mismatch for pmo\.projects"):
        open_source(str(tmp_path / "crc.archive"))
    cut = offsets["projects"][2] + 10
    (tmp_path / "cut.archive").write_bytes(data[:cut])
    with pytest.raises(SourceError, match=rf"truncated document .* at offset {cut - 10}"):
        open_source(str(tmp_path / "cut.archive"))
    (tmp_path / "bad.archive").write_bytes(b"\x00" * 64)
    with pytest.raises(SourceError, match="not a mongodump archive"):
        open_source(str(tmp_path / "bad.archive"), format="archive")


def test_multi_database_dump_names_and_selector(tmp_path: Path) -> None:
    samples.write_dump(tmp_path / "dump", "alpha", {"projects": samples.projects(2)}, gz=False)
    samples.write_dump(tmp_path / "dump", "beta", {"users": samples.projects(1)}, gz=False)
    samples.write_dump(
        tmp_path / "dump", "admin", {"system.version": samples.projects(1)}, gz=False
    )
    source = open_source(str(tmp_path / "dump"))
    assert isinstance(source, MongodumpSource)
    assert [c.name for c in source.collections()] == ["alpha.projects", "beta.users"]
    assert "admin.system.version" in " ".join(source.excluded)
    assert len(list(source.documents("alpha.projects"))) == 2
    only = open_source(str(tmp_path / "dump"), database="beta")
    assert [c.name for c in only.collections()] == ["users"]
    with pytest.raises(SourceError, match="no database 'gamma'"):
        open_source(str(tmp_path / "dump"), database="gamma")


def test_dump_with_plain_and_gzip_copies_is_refused(tmp_path: Path) -> None:
    samples.write_dump(tmp_path / "dump", "pmo", {"projects": samples.projects(1)}, gz=False)
    folder = tmp_path / "dump/pmo"
    (folder / "projects.bson.gz").write_bytes(
        gzip.compress((folder / "projects.bson").read_bytes())
    )
    with pytest.raises(SourceError, match=r"both projects\.bson and projects\.bson\.gz"):
        open_source(str(tmp_path / "dump"))


def test_count_documents_scans(tmp_path: Path) -> None:
    samples.write_export(
        tmp_path / "export", {"projects": samples.projects(5)}, "relaxed", array=False
    )
    source = open_source(str(tmp_path / "export"))
    assert source.collections()[0].count is None
    assert count_documents(source, "projects") == 5


def test_dump_metadata_only_views_are_excluded_and_empty_collections_listed(tmp_path: Path) -> None:
    samples.write_dump(tmp_path / "dump", "pmo", {"projects": samples.projects(1)}, gz=False)
    folder = tmp_path / "dump/pmo"
    (folder / "active.metadata.json").write_text(json.dumps({"type": "view", "options": {}}))
    (folder / "empty.metadata.json").write_text(json.dumps({"indexes": []}))
    source = open_source(str(tmp_path / "dump"))
    assert isinstance(source, MongodumpSource)
    assert [(c.name, c.count) for c in source.collections()] == [("empty", 0), ("projects", 1)]
    assert "active (view: no data file)" in source.excluded
    assert list(source.documents("empty")) == []
