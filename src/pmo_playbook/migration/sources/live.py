"""A live MongoDB database read through pymongo, as exact BSON bytes (`RawBSONDocument.raw`).

Documents are read with one batched cursor per collection sorted by `_id`. Resuming (from a
checkpoint, or after the cursor is lost) queries `_id` greater than the last one read, never
skip/limit. MongoDB's `$gt` only matches values of the same type bracket, so when `_id`s of
several types exist the resume query also takes every later bracket in MongoDB's sort order
(numbers < strings < documents < binary < ObjectId < bool < date < timestamp), which makes
the resume exact for mixed `_id` types too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import bson
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.raw_bson import RawBSONDocument
from bson.timestamp import Timestamp
from pymongo import ASCENDING, MongoClient
from pymongo.errors import (
    AutoReconnect,
    ConfigurationError,
    CursorNotFound,
    InvalidURI,
    PyMongoError,
    ServerSelectionTimeoutError,
)

from pmo_playbook.db.url import redact
from pmo_playbook.migration.sources.base import (
    ResumePoint,
    SourceCollection,
    SourceDocument,
    SourceError,
)

DEFAULT_BATCH_SIZE = 1000
DEFAULT_TIMEOUT_MS = 5000
MAX_RETRIES = 3  # consecutive cursor losses without progress before giving up
# MongoDB's sort order of the type brackets an `_id` can hold (arrays, regex, undefined cannot).
_BRACKETS: list[list[str]] = [
    ["minKey"],
    ["null"],
    ["int", "long", "double", "decimal"],
    ["string"],  # and symbol, deprecated, never seen as an _id
    ["object"],
    ["binData"],
    ["objectId"],
    ["bool"],
    ["date"],
    ["timestamp"],
    ["maxKey"],
]


def _bracket(value: Any) -> int:
    """Index in `_BRACKETS` of a decoded `_id` value."""
    from bson.binary import Binary
    from bson.decimal128 import Decimal128
    from bson.max_key import MaxKey
    from bson.min_key import MinKey

    checks: list[tuple[type | tuple[type, ...], int]] = [
        (MinKey, 0),
        (type(None), 1),
        (bool, 7),
        ((int, float, Int64, Decimal128), 2),
        (str, 3),
        ((bytes, Binary), 5),
        (ObjectId, 6),
        (dt.datetime, 8),
        (Timestamp, 9),
        (MaxKey, 10),
    ]
    for kind, index in checks:
        if isinstance(value, kind):
            return index
    return 4  # documents (and DatetimeMS, treated as date below)


def bracket_of(value: Any) -> int:
    """Index in `_BRACKETS` of a decoded `_id` value."""
    from bson.datetime_ms import DatetimeMS

    return 8 if isinstance(value, DatetimeMS) else _bracket(value)


def resume_filter(last_id: Any, *, last_bracket: int | None = None) -> dict[str, Any]:
    """The query that continues right after `last_id` in `_id` order.

    `last_bracket` is the type bracket of the collection's largest `_id`. When it is the same
    as `last_id`'s (the usual case: one `_id` type) this is the plain `{_id: {$gt: last_id}}`;
    otherwise each bracket in between is added with one `$type` clause.
    """
    same: dict[str, Any] = {"_id": {"$gt": last_id}}
    first = bracket_of(last_id) + 1
    end = first if last_bracket is None else last_bracket + 1
    later = [alias for group in _BRACKETS[first:end] for alias in group]
    if not later:
        return same
    return {"$or": [same, *({"_id": {"$type": alias}} for alias in later)]}


def database_from_uri(uri: str) -> str | None:
    """The database named in a `mongodb://host/db` URI path, if any."""
    name = urlsplit(uri).path.lstrip("/")
    return name or None


class MongoSource:
    """A live database. Pass `client` to read through an existing (e.g. mongomock) client."""

    kind = "mongodb"

    def __init__(
        self,
        uri: str | None = None,
        *,
        database: str | None = None,
        client: Any = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        server_selection_timeout_ms: int = DEFAULT_TIMEOUT_MS,
    ) -> None:
        name = database or (database_from_uri(uri) if uri else None)
        if not name:
            raise SourceError(
                f"{redact(uri or 'MongoDB client')}: no database named (put it in the URI path "
                "or pass a database)"
            )
        self.description = f"MongoDB {redact(uri) if uri else 'client'} database {name}"
        self.excluded: list[str] = []
        self.batch_size = batch_size
        self._owns_client = client is None
        if client is None:
            client = self._connect(uri or "", server_selection_timeout_ms)
        self._client = client
        try:
            self._db = client.get_database(name, codec_options=_raw_options(client))
        except NotImplementedError:  # in-process fakes (mongomock) return dicts: see raw_bytes
            self._db = client.get_database(name)
        self._where = redact(uri) if uri else self.description

    def _connect(self, uri: str, timeout_ms: int) -> Any:
        """A client with a short server selection timeout; bad URIs become SourceError."""
        try:
            return MongoClient(
                uri,
                serverSelectionTimeoutMS=timeout_ms,
                document_class=RawBSONDocument,
            )
        except (InvalidURI, ConfigurationError, ValueError) as exc:
            raise SourceError(f"{redact(uri)}: invalid MongoDB URI: {redact(str(exc))}") from None

    def _fail(self, exc: Exception) -> SourceError:
        """Driver errors as one line naming the server (passwords redacted)."""
        text = redact(str(exc)).splitlines()[0][:300]
        return SourceError(f"{self._where}: MongoDB unreachable or failing: {text}")

    def collections(self) -> list[SourceCollection]:
        """Every collection (views and system collections aside) with estimated counts."""
        try:
            infos = self._collection_infos()
        except PyMongoError as exc:
            raise self._fail(exc) from None
        result = []
        for info in sorted(infos, key=lambda i: str(i["name"])):
            name = str(info["name"])
            if info.get("type", "collection") != "collection" or name.startswith("system."):
                self.excluded.append(f"{name} ({info.get('type', 'system collection')})")
                continue
            count = self._estimated_count(name)
            result.append(SourceCollection(name, count, None, self._indexes(name)))
        return result

    def _collection_infos(self) -> list[dict[str, Any]]:
        """`listCollections` (names and types); clients without it give names only."""
        try:
            return [dict(_plain(info)) for info in self._db.list_collections()]
        except NotImplementedError:
            return [{"name": name} for name in self._db.list_collection_names()]

    def _estimated_count(self, name: str) -> int | None:
        """The server's cheap count from metadata, or None when it cannot say."""
        try:
            return int(self._db[name].estimated_document_count())
        except PyMongoError:
            return None

    def _indexes(self, name: str) -> list[dict[str, Any]]:
        """The collection's index definitions (empty when the server cannot list them)."""
        try:
            return [dict(_plain(ix)) for ix in self._db[name].list_indexes()]
        except (PyMongoError, NotImplementedError, TypeError):
            return []

    def documents(
        self, collection: str, resume: ResumePoint | None = None
    ) -> Iterator[SourceDocument]:
        """Read in `_id` order with batched cursors; reopen after `last_id` if a cursor dies."""
        index = resume.index if resume else 0
        last_id = resume.last_id if resume else None
        if index and last_id is None:
            raise SourceError(f"{self._where}: a live collection resumes from last_id, not index")
        started = last_id is not None
        retries = 0
        last_bracket: int | None = None
        while True:
            if started and last_bracket is None:
                last_bracket = self._largest_id_bracket(collection)
            query = resume_filter(last_id, last_bracket=last_bracket) if started else {}
            cursor = self._db[collection].find(query, batch_size=self.batch_size)
            cursor = cursor.sort("_id", ASCENDING)
            try:
                for doc in cursor:
                    last_id, started, retries = doc["_id"], True, 0
                    index += 1
                    yield SourceDocument(
                        raw_bytes(doc),
                        f"{self._db.name}.{collection} _id {last_id!r}",
                        ResumePoint(index=index, last_id=last_id),
                    )
                return
            except (CursorNotFound, AutoReconnect) as exc:
                retries += 1
                if isinstance(exc, ServerSelectionTimeoutError) or retries > MAX_RETRIES:
                    raise self._fail(exc) from None
                continue  # reopen right after last_id
            except PyMongoError as exc:
                raise self._fail(exc) from None
            finally:
                cursor.close()

    def _largest_id_bracket(self, collection: str) -> int:
        """The type bracket of the collection's largest `_id` (one indexed lookup)."""
        try:
            doc = self._db[collection].find_one({}, {"_id": 1}, sort=[("_id", -1)])
        except PyMongoError as exc:
            raise self._fail(exc) from None
        return 0 if doc is None else bracket_of(doc["_id"])

    def close(self) -> None:
        """Close the client if this source opened it."""
        if self._owns_client:
            self._client.close()


def raw_bytes(doc: Any) -> bytes:
    """The document's exact bytes (`RawBSONDocument.raw`); in-process fakes such as mongomock
    return dicts, which are encoded in their stored key order."""
    if isinstance(doc, RawBSONDocument):
        return bytes(doc.raw)
    return bson.encode(doc)


def _raw_options(client: Any) -> Any:
    """The client's codec options with RawBSONDocument documents (exact bytes)."""
    from bson.codec_options import CodecOptions, DatetimeConversion

    base = getattr(client, "codec_options", None)
    if isinstance(base, CodecOptions):
        return base.with_options(
            document_class=RawBSONDocument,
            tz_aware=True,
            datetime_conversion=DatetimeConversion.DATETIME_AUTO,
        )
    return CodecOptions(document_class=RawBSONDocument, tz_aware=True)


def _plain(value: Any) -> Any:
    """RawBSONDocument (and nested) values as plain dicts."""
    if isinstance(value, RawBSONDocument):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
