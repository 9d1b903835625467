"""One contract suite run against every kind of source, on fixtures written with `bson`.

Each case writes the same Python documents in its format, opens it with `open_source`
(detection, no --format), and must yield the expected collections, the exact documents
(types and key order; lossy formats differ only by their documented loss), positions that
point at the document, and exact resumption from any document's ResumePoint.
"""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mongomock
import pymongo
import pytest

from pmo_playbook.migration.sources import ResumePoint, Source, open_source
from tests.support import samples

Docs = dict[str, list[dict[str, Any]]]
Position = Callable[[str, int], str]


@dataclass
class Opened:
    source: Source
    expected: Docs
    position: Position | None  # expected position of document i of a collection
    kind: str


def _dump(tmp: Path, *, gz: bool) -> Opened:
    colls = samples.collections()
    samples.write_dump(tmp / "dump", "pmo", colls, gz=gz)
    ext = ".bson.gz" if gz else ".bson"

    def position(name: str, i: int) -> str:
        offset = sum(len(samples.bson.encode(d)) for d in colls[name][:i])
        return f"{tmp / 'dump' / 'pmo' / (name + ext)} offset {offset}"

    return Opened(open_source(str(tmp / "dump")), colls, position, "mongodump")


def _archive(tmp: Path, *, gz: bool) -> Opened:
    colls = samples.collections()
    data, offsets = samples.build_archive("pmo", colls)
    path = tmp / ("pmo.archive.gz" if gz else "pmo.archive")
    path.write_bytes(gzip.compress(data) if gz else data)
    return Opened(
        open_source(str(path)), colls, lambda n, i: f"{path} offset {offsets[n][i]}", "archive"
    )


def _export(tmp: Path, mode: str, *, array: bool) -> Opened:
    colls = samples.collections()
    samples.write_export(tmp / "export", colls, mode, array=array)
    expected = colls if mode == "canonical" else samples.relaxed_loss(colls)
    first_line = 2 if array else 1
    return Opened(
        open_source(str(tmp / "export")),
        expected,
        lambda n, i: f"{tmp / 'export' / (n + '.json')} line {first_line + i}",
        "mongoexport",
    )


def _seed(tmp: Path) -> Opened:
    colls = {"projects": samples.projects()}
    samples.write_seed(tmp / "seed", colls)
    return Opened(open_source(str(tmp / "seed")), colls, None, "seed-json")


def _nx(nx_uri: str) -> Opened:
    """nx-27017 stores the portable types only (see test_live for the rest)."""
    db = f"contract_{uuid.uuid4().hex[:8]}"
    colls = {"projects": samples.projects()}
    client: pymongo.MongoClient = pymongo.MongoClient(nx_uri)
    client[db]["projects"].insert_many([dict(d) for d in colls["projects"]])
    client.close()
    return Opened(open_source(f"{nx_uri}/{db}"), colls, None, "mongodb")


def _mongomock() -> Opened:
    colls = samples.collections()
    client: mongomock.MongoClient = mongomock.MongoClient()
    for name, docs in colls.items():
        client["pmo"][name].insert_many([dict(d) for d in docs])
    source = open_source("mongodb://mongomock.invalid/pmo", client=client)
    return Opened(source, colls, None, "mongodb")


CASES: dict[str, Callable[[Path, str], Opened]] = {
    "mongodump-dir": lambda t, u: _dump(t, gz=False),
    "mongodump-bson-gz": lambda t, u: _dump(t, gz=True),
    "archive-plain": lambda t, u: _archive(t, gz=False),
    "archive-gzip": lambda t, u: _archive(t, gz=True),
    "mongoexport-lines-relaxed": lambda t, u: _export(t, "relaxed", array=False),
    "mongoexport-lines-canonical": lambda t, u: _export(t, "canonical", array=False),
    "mongoexport-jsonarray-canonical": lambda t, u: _export(t, "canonical", array=True),
    "mongoexport-jsonarray-relaxed": lambda t, u: _export(t, "relaxed", array=True),
    "mongoexport-v1-legacy": lambda t, u: _export(t, "legacy", array=False),
    "seed-json": lambda t, u: _seed(t),
    "live-nx-27017": lambda t, u: _nx(u),
    "live-mongomock": lambda t, u: _mongomock(),
}


@pytest.fixture(params=list(CASES))
def opened(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opened]:
    uri = request.getfixturevalue("nx_uri") if request.param == "live-nx-27017" else ""
    case = CASES[request.param](tmp_path, uri)
    yield case
    case.source.close()


def test_source_kind_is_detected(opened: Opened) -> None:
    assert opened.source.kind == opened.kind


def test_source_lists_expected_collections(opened: Opened) -> None:
    listed = opened.source.collections()
    assert [c.name for c in listed] == sorted(opened.expected)
    for coll in listed:
        assert coll.count in (None, len(opened.expected[coll.name]))


def test_source_yields_exact_documents(opened: Opened) -> None:
    for name, docs in opened.expected.items():
        got = [samples.decoded(d.raw) for d in opened.source.documents(name)]
        assert got == [samples.typed(d) for d in docs], name


def test_source_positions_point_at_documents(opened: Opened) -> None:
    for name, docs in opened.expected.items():
        got = list(opened.source.documents(name))
        assert len(got) == len(docs)
        for i, doc in enumerate(got):
            assert doc.position
            if opened.position is not None:
                assert doc.position == opened.position(name, i)


@pytest.mark.parametrize("cut", [0, 1, 7, 22, 23])
def test_source_resumes_without_gaps_or_duplicates(opened: Opened, cut: int) -> None:
    first = list(opened.source.documents("projects"))
    assert len(first) == 23
    resume = ResumePoint() if cut == 0 else first[cut - 1].resume_after
    assert resume is not None and resume.index == cut
    rest = list(opened.source.documents("projects", resume))
    assert [d.raw for d in first[:cut] + rest] == [d.raw for d in first]
