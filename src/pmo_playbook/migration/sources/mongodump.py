"""A `mongodump` output directory: `<db>/<collection>.bson[.gz]` + `.metadata.json[.gz]`.

Accepts the dump root (`dump/`, one folder per database) or one database's folder
(`dump/pmo/`). File names are percent-decoded (`caf%C3%A9s.bson` is collection `cafés`).
`prelude.json[.gz]` (top level or per database) is read into `prelude`; `oplog.bson` is not a
collection and is listed in `excluded`. Documents stream one at a time as exact bytes.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote

from bson import json_util

from pmo_playbook.migration.sources.base import (
    ResumePoint,
    SourceCollection,
    SourceDocument,
    SourceError,
)
from pmo_playbook.migration.sources.bsonstream import document_length, iter_documents, read_up_to
from pmo_playbook.migration.sources.namespaces import choose_namespaces

DATA_SUFFIXES = (".bson.gz", ".bson")
METADATA_SUFFIXES = (".metadata.json.gz", ".metadata.json")
PRELUDE_NAMES = ("prelude.json", "prelude.json.gz")


@dataclass(frozen=True)
class _DumpFile:
    """One collection's files inside the dump."""

    data: Path | None
    metadata: Path | None


def is_dump_directory(path: Path) -> bool:
    """True when `path` or one of its sub-folders holds `.bson` / `.bson.gz` files."""
    folders = [path, *(p for p in path.iterdir() if p.is_dir())]
    return any(
        child.name.endswith(DATA_SUFFIXES) for folder in folders for child in folder.iterdir()
    )


def open_file(path: Path) -> BinaryIO:
    """Open a plain or `.gz` file for binary reading."""
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def read_json_file(path: Path) -> Any:
    """Parse a (possibly gzipped) Extended JSON file such as metadata or prelude."""
    try:
        with open_file(path) as handle:
            return json_util.loads(handle.read().decode("utf-8"))
    except (ValueError, OSError, EOFError) as exc:
        raise SourceError(f"{path}: not valid JSON: {exc}", details={"file": str(path)}) from None


class MongodumpSource:
    """A mongodump directory (or one `.bson[.gz]` file). `database` selects one database."""

    kind = "mongodump"

    def __init__(self, root: Path, *, database: str | None = None) -> None:
        self.root = root
        self.description = f"mongodump directory {root}"
        self.prelude: dict[str, Any] = {}
        self.excluded: list[str] = []
        files = self._scan()
        choice = choose_namespaces(list(files), database, str(root))
        self.excluded.extend(choice.excluded)
        self.database = choice.database
        self._files = {name: files[ns] for name, ns in choice.by_name.items()}
        self._metadata: dict[str, dict[str, Any]] = {}
        # True: `documents` skips `check_document` and marks each document `unchecked`; the
        # consumer (the loader's encoder) must check it. Only the loader sets it, for its load.
        self.defer_checks = False
        self._exclude_dataless_views()

    def _exclude_dataless_views(self) -> None:
        """Views and time-series collections have metadata but no data file: list them apart.

        (A time-series collection's data is the `system.buckets.<name>` collection.)
        """
        for name, files in list(self._files.items()):
            kind = self.metadata(name).get("type") if files.data is None else None
            if kind in ("view", "timeseries"):
                del self._files[name]
                self.excluded.append(f"{name} ({kind}: no data file)")

    def _scan(self) -> dict[tuple[str, str], _DumpFile]:
        """Find every collection's files: the root itself and each database folder."""
        found: dict[tuple[str, str], _DumpFile] = {}
        if self.root.is_file() and (suffix := _suffix(self.root.name, DATA_SUFFIXES)):
            stem = self.root.name[: -len(suffix)]
            meta = [self.root.with_name(stem + s) for s in METADATA_SUFFIXES]
            found[(self.root.parent.name, unquote(stem))] = _DumpFile(
                self.root, next((m for m in meta if m.is_file()), None)
            )
            return found
        if not self.root.is_dir():
            raise SourceError(f"{self.root}: not a directory nor a .bson file")
        self._scan_folder(self.root, self.root.name, found, top=True)
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            self._scan_folder(folder, unquote(folder.name), found, top=False)
        if not found:
            raise SourceError(
                f"{self.root}: no .bson or .bson.gz files (not a mongodump directory)"
            )
        return found

    def _scan_folder(
        self, folder: Path, db: str, found: dict[tuple[str, str], _DumpFile], *, top: bool
    ) -> None:
        """Record the data and metadata files of one folder."""
        data: dict[str, Path] = {}
        meta: dict[str, Path] = {}
        for child in sorted(folder.iterdir()):
            if not child.is_file():
                continue
            if child.name in PRELUDE_NAMES:
                self.prelude = read_json_file(child)
            elif top and child.name in ("oplog.bson", "oplog.bson.gz"):
                self.excluded.append(f"{child.name} (oplog: replayed by mongorestore, not data)")
            elif suffix := _suffix(child.name, METADATA_SUFFIXES):
                meta[unquote(child.name[: -len(suffix)])] = child
            elif suffix := _suffix(child.name, DATA_SUFFIXES):
                name = unquote(child.name[: -len(suffix)])
                if name in data:
                    raise SourceError(f"{folder}: both {data[name].name} and {child.name}")
                data[name] = child
        for name in sorted(data.keys() | meta.keys()):
            found[(db, name)] = _DumpFile(data.get(name), meta.get(name))

    def collections(self) -> list[SourceCollection]:
        """Every collection, with its indexes and, for plain `.bson` files, count and size."""
        result = []
        for name in sorted(self._files):
            files = self._files[name]
            count, size = None, None
            if files.data is None:
                count, size = 0, 0
            elif files.data.name.endswith(".bson"):
                size = files.data.stat().st_size
                count = _hop_count(files.data)
            meta = self.metadata(name)
            result.append(SourceCollection(name, count, size, list(meta.get("indexes", []))))
        return result

    def metadata(self, collection: str) -> dict[str, Any]:
        """The collection's `.metadata.json` (options, indexes, uuid), or {} when absent."""
        if collection not in self._metadata:
            path = self._file(collection).metadata
            self._metadata[collection] = dict(read_json_file(path)) if path else {}
        return self._metadata[collection]

    def documents(
        self, collection: str, resume: ResumePoint | None = None
    ) -> Iterator[SourceDocument]:
        """Stream the collection's documents as exact bytes, from `resume.index` on."""
        path = self._file(collection).data
        if path is None:
            return
        start = resume.index if resume else 0
        defer, label = self.defer_checks, str(path)
        with ExitStack() as stack:
            stream = stack.enter_context(_open_data(path))
            try:
                documents = iter_documents(stream, label, skip=start, validate=not defer)
                for i, (offset, raw) in enumerate(documents):
                    yield SourceDocument(
                        raw, f"{path} offset {offset}", ResumePoint(index=start + i + 1),
                        (label, offset) if defer else None,
                    )  # fmt: skip
            except (OSError, EOFError, zlib.error) as exc:
                raise SourceError(
                    f"{path}: cannot read: {exc}", details={"file": str(path)}
                ) from None

    def close(self) -> None:
        """Nothing stays open between calls."""

    def _file(self, collection: str) -> _DumpFile:
        """The files of a listed collection; SourceError for an unknown name."""
        try:
            return self._files[collection]
        except KeyError:
            raise SourceError(f"{self.root}: no collection {collection!r}") from None


def _suffix(name: str, suffixes: tuple[str, ...]) -> str:
    """The first of `suffixes` that `name` ends with (longest listed first), or ''."""
    return next((s for s in suffixes if name.endswith(s) and len(name) > len(s)), "")


def _open_data(path: Path) -> BinaryIO:
    """Open a data file, naming it in the error when it cannot be opened."""
    try:
        return open_file(path)
    except OSError as exc:
        raise SourceError(f"{path}: cannot open: {exc}") from None


def _hop_count(path: Path) -> int:
    """Count documents of a plain `.bson` file by hopping from length to length (no decoding)."""
    count, offset = 0, 0
    size = path.stat().st_size
    with path.open("rb") as stream:
        while offset < size:
            header = read_up_to(stream, 4)
            if len(header) < 4:
                raise SourceError(
                    f"{path}: truncated document at offset {offset}"
                    f" (needs 4 bytes, {len(header)} left)"
                )
            length = document_length(header, str(path), offset)
            if offset + length > size:
                raise SourceError(
                    f"{path}: truncated document at offset {offset}"
                    f" (needs {length} bytes, {size - offset} left)",
                    details={"file": str(path), "offset": offset},
                )
            offset += length
            stream.seek(offset)
            count += 1
    return count
