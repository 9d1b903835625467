"""Source wrappers for abort-and-resume tests, and loading the shared dump into MongoDB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bson
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument

from pmo_playbook.migration.sources.base import ResumePoint, Source, SourceDocument, SourceError


class Interrupted(SourceError):
    """Raised by `FailAfter` to simulate a source dying mid-collection."""


class FailAfter:
    """Delegates to `source`, but raises after `limit` documents of `collection`."""

    def __init__(self, source: Source, collection: str, limit: int) -> None:
        self.kind, self.description = source.kind, source.description
        self._source, self._collection, self._limit = source, collection, limit

    def collections(self) -> Any:
        return self._source.collections()

    def documents(
        self, collection: str, resume: ResumePoint | None = None
    ) -> Iterator[SourceDocument]:
        for n, doc in enumerate(self._source.documents(collection, resume)):
            if collection == self._collection and n >= self._limit:
                raise Interrupted(f"{collection}: simulated failure after {n} documents")
            yield doc

    def close(self) -> None:
        self._source.close()


class Recording:
    """Delegates to `source` and records the resume points asked for and documents read."""

    def __init__(self, source: Source) -> None:
        self.kind, self.description = source.kind, source.description
        self._source = source
        self.resumes: dict[str, ResumePoint | None] = {}
        self.read: dict[str, int] = {}

    def collections(self) -> Any:
        return self._source.collections()

    def documents(
        self, collection: str, resume: ResumePoint | None = None
    ) -> Iterator[SourceDocument]:
        self.resumes[collection] = resume
        for doc in self._source.documents(collection, resume):
            self.read[collection] = self.read.get(collection, 0) + 1
            yield doc

    def close(self) -> None:
        self._source.close()


def dump_documents(folder: Path) -> dict[str, list[RawBSONDocument]]:
    """Every `<collection>.bson` of a mongodump database folder, as exact raw documents."""
    options: CodecOptions[RawBSONDocument] = CodecOptions(document_class=RawBSONDocument)
    return {
        path.name[: -len(".bson")]: bson.decode_all(path.read_bytes(), options)
        for path in sorted(folder.glob("*.bson"))
    }
