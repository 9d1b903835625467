"""A `mongodump --archive` file, plain or gzip (`--archive --gzip`).

The format (mongo-tools `common/archive/spec.md`): the magic number 0x8199e26d (little
endian), a header document `{concurrent_collections, version, server_version, tool_version}`,
one metadata document per collection `{db, collection, metadata (Extended JSON text), size,
type}`, a terminator (0xffffffff), then blocks: a namespace header `{db, collection, EOF, CRC}`,
that collection's documents, a terminator. Collections interleave; each ends with a header whose
`EOF` is true and whose `CRC` is the CRC-64 (ECMA, as Go computes it) of all its documents.

Reading is streaming: one pass indexes the archive (counts, sizes, CRC checks, structure), and
each `documents(collection)` is one more pass that yields only that collection's documents.
Time-series collections appear as their bucket collection `system.buckets.<name>` (that is
what mongodump stores); the oplog (`--oplog`) is not a collection and is listed in `excluded`.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import bson
from bson import json_util
from bson.errors import InvalidBSON

from pmo_playbook.migration.sources.base import (
    ResumePoint,
    SourceCollection,
    SourceDocument,
    SourceError,
)
from pmo_playbook.migration.sources.bsonstream import check_document, document_length, read_up_to
from pmo_playbook.migration.sources.crc64 import crc64_ecma
from pmo_playbook.migration.sources.namespaces import choose_namespaces

MAGIC = struct.pack("<I", 0x8199E26D)
GZIP_MAGIC = b"\x1f\x8b"
TERMINATOR = b"\xff\xff\xff\xff"


def is_archive(path: Path) -> bool:
    """True when the file starts with the archive magic, directly or inside gzip."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
        if head[:2] == GZIP_MAGIC:
            with gzip.open(path, "rb") as handle:
                head = handle.read(4)
    except (OSError, EOFError, zlib.error):
        return False
    return head == MAGIC


@dataclass
class _Namespace:
    """What the index pass learnt about one namespace."""

    count: int = 0
    size: int = 0
    crc: int = 0
    closed: bool = False


class ArchiveSource:
    """A mongodump archive; `database` selects one database, `verify_crc` checks the CRCs."""

    kind = "archive"

    def __init__(self, path: Path, *, database: str | None = None, verify_crc: bool = True) -> None:
        self.path = path
        self.description = f"mongodump archive {path}"
        self.verify_crc = verify_crc
        self.excluded: list[str] = []
        self.header: dict[str, Any] = {}
        self.metadata: dict[tuple[str, str], dict[str, Any]] = {}
        self._index: dict[tuple[str, str], _Namespace] | None = None
        with self._open() as stream:
            self._read_prelude(stream)
        index = self._namespaces()
        names = [ns for ns in index if ns != ("", "oplog")]
        if ("", "oplog") in index:
            self.excluded.append("oplog (replayed by mongorestore, not data)")
        for ns, meta in self.metadata.items():
            kind = meta.get("type", "collection")
            if kind == "timeseries":
                self.excluded.append(f"{ns[0]}.{ns[1]} (time series: listed as system.buckets)")
            elif kind == "view":
                self.excluded.append(f"{ns[0]}.{ns[1]} (view: no data)")
            elif ns not in index and ns != ("", "oplog"):
                names.append(ns)
        choice = choose_namespaces(names, database, str(path))
        self.excluded.extend(choice.excluded)
        self.database = choice.database
        self._names = choice.by_name

    def _open(self) -> BinaryIO:
        """Open the archive, transparently un-gzipping."""
        try:
            with self.path.open("rb") as handle:
                gzipped = handle.read(2) == GZIP_MAGIC
            return gzip.open(self.path, "rb") if gzipped else self.path.open("rb")  # type: ignore[return-value]
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot open: {exc}") from None

    def _fail(self, offset: int, reason: str) -> SourceError:
        """One message naming the archive and the (uncompressed) offset."""
        return SourceError(
            f"{self.path}: {reason} at offset {offset}",
            details={"file": str(self.path), "offset": offset},
        )

    def _read_prelude(self, stream: BinaryIO) -> int:
        """Check the magic, read the header and the collection metadata; return the offset."""
        if read_up_to(stream, 4) != MAGIC:
            raise SourceError(f"{self.path}: not a mongodump archive (bad magic number)")
        offset = 4
        first = True
        while True:
            raw = self._next(stream, offset)
            if raw is None:
                return offset + 4
            doc = self._decode(raw, offset, "header" if first else "collection metadata")
            if first:
                self.header = doc
            else:
                ns = (str(doc.get("db", "")), str(doc.get("collection", "")))
                text = doc.get("metadata") or "{}"
                try:
                    self.metadata[ns] = dict(json_util.loads(text))
                except (ValueError, TypeError) as exc:
                    raise self._fail(
                        offset, f"metadata of {ns[0]}.{ns[1]} is not valid Extended JSON ({exc})"
                    ) from None
                if doc.get("type"):
                    self.metadata[ns].setdefault("type", doc["type"])
            first = False
            offset += len(raw)

    def _next(self, stream: BinaryIO, offset: int, head: bytes | None = None) -> bytes | None:
        """The next document's bytes, or None for a terminator; errors name the offset."""
        head = read_up_to(stream, 4) if head is None else head
        if len(head) < 4:
            raise self._fail(offset, f"truncated archive (needs 4 bytes, {len(head)} left)")
        if head == TERMINATOR:
            return None
        length = document_length(head, str(self.path), offset)
        body = read_up_to(stream, length - 4)
        if len(body) < length - 4:
            raise self._fail(
                offset,
                f"truncated document (needs {length} bytes, {len(body) + 4} left)",
            )
        if body[-1:] != b"\x00":
            raise self._fail(offset, "document does not end with a NUL byte")
        return head + body

    def _decode(self, raw: bytes, offset: int, what: str) -> dict[str, Any]:
        """Decode an archive-level document (header, metadata, namespace header)."""
        try:
            return dict(bson.decode(raw))
        except (InvalidBSON, ValueError) as exc:
            raise self._fail(offset, f"corrupt {what} ({exc})") from None

    def _blocks(self) -> Iterator[tuple[tuple[str, str], bool, int, int, bytes | None]]:
        """Walk every block: yields (namespace, is_eof, crc, offset, document or None)."""
        try:
            with self._open() as stream:
                offset = self._read_prelude(stream)
                while head := read_up_to(stream, 4):
                    raw = self._next(stream, offset, head)
                    if raw is None:
                        raise self._fail(offset, "terminator without a namespace header")
                    hdr = self._decode(raw, offset, "namespace header")
                    if "collection" not in hdr:
                        raise self._fail(offset, "namespace header without a collection")
                    ns = (str(hdr.get("db", "")), str(hdr["collection"]))
                    eof, crc = bool(hdr.get("EOF")), int(hdr.get("CRC", 0))
                    yield ns, eof, crc, offset, None
                    offset += len(raw)
                    while (doc := self._next(stream, offset)) is not None:
                        if eof:
                            raise self._fail(offset, f"documents after the EOF of {ns[0]}.{ns[1]}")
                        yield ns, False, 0, offset, doc
                        offset += len(doc)
                    offset += 4
        except (OSError, EOFError, zlib.error) as exc:
            raise SourceError(f"{self.path}: cannot read: {exc}") from None

    def _namespaces(self) -> dict[tuple[str, str], _Namespace]:
        """The index pass (once): per namespace count, bytes, CRC check, EOF seen."""
        if self._index is not None:
            return self._index
        index: dict[tuple[str, str], _Namespace] = {}
        for ns, eof, crc, offset, doc in self._blocks():
            state = index.setdefault(ns, _Namespace())
            if state.closed:
                raise self._fail(offset, f"data for {ns[0]}.{ns[1]} after its EOF")
            if doc is not None:
                state.count += 1
                state.size += len(doc)
                if self.verify_crc:
                    state.crc = crc64_ecma(doc, state.crc)
            elif eof:
                state.closed = True
                expected = crc & 0xFFFFFFFFFFFFFFFF
                if self.verify_crc and state.crc != expected:
                    raise self._fail(offset, f"CRC mismatch for {ns[0]}.{ns[1]}")
        unfinished = [f"{db}.{coll}" for (db, coll), s in index.items() if not s.closed]
        if unfinished:
            raise SourceError(f"{self.path}: archive ends before the EOF of {unfinished}")
        self._index = index
        return index

    def collections(self) -> list[SourceCollection]:
        """Every listed collection with exact count, data bytes and indexes."""
        index = self._namespaces()
        result = []
        for name, ns in sorted(self._names.items()):
            state = index.get(ns, _Namespace())
            indexes = list(self.metadata.get(ns, {}).get("indexes", []))
            result.append(SourceCollection(name, state.count, state.size, indexes))
        return result

    def documents(
        self, collection: str, resume: ResumePoint | None = None
    ) -> Iterator[SourceDocument]:
        """One pass over the archive yielding this collection's documents, from `resume.index`."""
        if collection not in self._names:
            raise SourceError(f"{self.path}: no collection {collection!r}")
        wanted = self._names[collection]
        start = resume.index if resume else 0
        seen = 0
        for ns, _eof, _crc, offset, doc in self._blocks():
            if ns != wanted or doc is None:
                continue
            seen += 1
            if seen <= start:
                continue
            check_document(doc, str(self.path), offset)
            yield SourceDocument(doc, f"{self.path} offset {offset}", ResumePoint(index=seen))

    def close(self) -> None:
        """Nothing stays open between calls."""
