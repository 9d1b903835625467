"""`mongoexport` output: JSON lines or `--jsonArray`; relaxed/canonical Extended JSON v2, v1 forms.

One file per collection (the file stem is the collection name), or a folder of them. Each
document is parsed with `bson.json_util` (key order kept, dates as UTC, dates outside
Python's range kept as `DatetimeMS`, Binary subtypes kept) and encoded back to BSON bytes.

What the JSON itself has already lost cannot come back (documented in docs/migration-sources.md):
relaxed mode writes Int32 and Int64 alike as plain numbers, so a plain integer becomes Int32
when it fits and Int64 otherwise (doubles stay doubles: `1.0` keeps its point); regex flags
come back in alphabetical order; the deprecated Symbol, Undefined and DBPointer types come
back as string, null and DBRef.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bson
from bson import json_util
from bson.binary import UuidRepresentation
from bson.codec_options import DatetimeConversion
from bson.errors import InvalidDocument
from bson.json_util import JSONOptions

from pmo_playbook.migration.sources.base import (
    ResumePoint,
    SourceCollection,
    SourceDocument,
    SourceError,
)
from pmo_playbook.migration.sources.jsonstream import (
    iter_json_documents,
    make_decoder,
    no_duplicates,
)

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
# Files that sit beside exports but hold no collection (metadata, statistics, prelude).
NON_DATA_FILES = frozenset({"export-stats.json", "manifest.json", "prelude.json"})

EJSON_OPTIONS = JSONOptions(
    document_class=dict,
    tz_aware=True,
    tzinfo=dt.UTC,
    datetime_conversion=DatetimeConversion.DATETIME_AUTO,
    uuid_representation=UuidRepresentation.UNSPECIFIED,
)


def _ejson_hook(pairs: list[tuple[str, Any]]) -> Any:
    """Turn one JSON object into a document or a BSON value (refusing duplicate keys)."""
    no_duplicates(pairs)
    return json_util.object_pairs_hook(pairs, EJSON_OPTIONS)


def is_data_file(path: Path) -> bool:
    """A JSON file that holds a collection (not metadata or statistics)."""
    name = path.name
    return (
        path.is_file()
        and name.endswith(JSON_SUFFIXES)
        and name not in NON_DATA_FILES
        and not name.endswith(".metadata.json")
    )


def data_files(path: Path) -> dict[str, Path]:
    """Collection name → file for a single export file or a folder of them."""
    if path.is_file():
        return {path.name.rsplit(".", 1)[0]: path}
    files = {f.name.rsplit(".", 1)[0]: f for f in sorted(path.iterdir()) if is_data_file(f)}
    if not files:
        raise SourceError(f"{path}: no .json export files")
    return files


class JsonExportSource:
    """Shared reading of one-file-per-collection JSON exports; subclasses convert documents."""

    kind = "json"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"{self.kind} files {path}"
        self.excluded: list[str] = []
        self._files = data_files(path)
        self._decoder: json.JSONDecoder = make_decoder(_ejson_hook)

    def collections(self) -> list[SourceCollection]:
        """Every file's collection; sizes are JSON file sizes, counts need a scan (None)."""
        return [
            SourceCollection(name, None, f.stat().st_size)
            for name, f in sorted(self._files.items())
        ]

    def documents(
        self, collection: str, resume: ResumePoint | None = None
    ) -> Iterator[SourceDocument]:
        """Stream the file's documents as BSON bytes, from `resume.index` on."""
        try:
            path = self._files[collection]
        except KeyError:
            raise SourceError(f"{self.path}: no collection {collection!r}") from None
        start = resume.index if resume else 0
        for index, (line, doc) in enumerate(iter_json_documents(path, self._decoder)):
            if index < start:
                continue
            raw = self._encode(self.convert(collection, doc), path, line)
            yield SourceDocument(raw, f"{path} line {line}", ResumePoint(index=index + 1))

    def convert(self, collection: str, doc: dict[str, Any]) -> dict[str, Any]:
        """Adjust a parsed document before encoding (identity for Extended JSON)."""
        return doc

    def _encode(self, doc: dict[str, Any], path: Path, line: int) -> bytes:
        """BSON bytes of a parsed document; SourceError naming the line when BSON refuses it."""
        try:
            return bson.encode(doc)
        except (InvalidDocument, OverflowError, ValueError, TypeError) as exc:
            raise SourceError(
                f"{path} line {line}: cannot be stored as BSON: {exc}",
                details={"file": str(path), "line": line},
            ) from None

    def close(self) -> None:
        """Nothing stays open between calls."""


class MongoexportSource(JsonExportSource):
    """mongoexport files (Extended JSON, any mode), JSON lines or `--jsonArray`."""

    kind = "mongoexport"
