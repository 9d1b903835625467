"""The one interface every legacy source implements (live MongoDB, mongodump, archive, exports).

Every source yields each document as the exact BSON bytes of that document, so the rest of the
toolkit (codec, loader, verifier) handles one currency whatever the input format was.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from pmo_playbook.errors import InvalidInput


class SourceError(InvalidInput):
    """A source cannot be read: unknown format, unreachable URI, corrupt file (names where)."""

    code = "SOURCE_ERROR"


@dataclass(frozen=True)
class SourceCollection:
    """One collection found in a source."""

    name: str  # decoded collection name (mongodump's percent-encoding undone)
    count: int | None = None  # documents, when known without a full scan
    size_bytes: int | None = None  # bytes of the collection's data, when known
    indexes: list[dict[str, Any]] = field(default_factory=list)  # from metadata / listIndexes


@dataclass(frozen=True)
class SourceDocument:
    """One document: its BSON bytes exactly as in the source, and where it came from."""

    raw: bytes
    position: str  # e.g. "dump/db/projects.bson offset 1234" or "export/projects.json line 17"
    # Where to resume to continue right AFTER this document (store it with the batch's
    # checkpoint). File sources: index = documents read so far; live source: also last_id.
    resume_after: ResumePoint | None = None
    # (file label, byte offset) when the source handed the document out WITHOUT its
    # well-formedness check because the consumer asked to run `bsonstream.check_document`
    # itself (the loader's encoder: `MongodumpSource.defer_checks`).
    unchecked: tuple[str, int] | None = None


@dataclass(frozen=True)
class ResumePoint:
    """Where to resume reading a collection.

    File sources skip the first `index` documents (file order is deterministic). The live
    source reads in `_id` order and resumes with `{_id: {$gt: last_id}}` (never skip/limit).
    """

    index: int = 0
    last_id: Any = None  # a decoded BSON value (ObjectId, str, int, ...) for the live source


def count_documents(source: Source, collection: str) -> int:
    """Count a collection's documents by reading them all (for sources that cannot say cheaply).

    Streams, so memory stays bounded; the full scan also validates every document.
    """
    return sum(1 for _ in source.documents(collection))


class Source(Protocol):
    """A readable legacy database."""

    kind: str  # "mongodb" | "mongodump" | "archive" | "mongoexport" | "seed-json"
    description: str  # for messages; never contains a password

    def collections(self) -> list[SourceCollection]:
        """Every collection in the source (mapped or not), sorted by name."""
        ...

    def documents(
        self, collection: str, resume: ResumePoint | None = None
    ) -> Iterator[SourceDocument]:
        """Stream the collection's documents (bounded memory), from `resume` on."""
        ...

    def close(self) -> None:
        """Release files and connections."""
        ...
