"""Per-run bookkeeping around a collection's load: duplicate `_id`s across batches, resume anchor.

`RunGuard` wraps a source for one collection of one run and reads it window by window
(`batch_size` documents). Before the loader sees a window, the guard records every `_id` of the
window with its position in `migration_run_documents` (ONE statement) and gets back the `_id`s
this run already read at an EARLIER position. Those later documents are duplicates in the
source: the guard quarantines them (reason "duplicate _id in the source", the original document
kept) and does not pass them on, so the first occurrence is never overwritten. Their positions go
to `migration_run_duplicates`, which maps the loader's document count (its checkpoint index)
back to the source position on resume.

Memory stays bounded (one window of ids); the tables grow with the collection on the server and
are emptied when the run finishes. Rows of uncommitted windows (a killed run) are deleted when
the collection resumes, so a document re-read at the same position is never its own duplicate.

File sources resume by index: the guard first re-reads the document just before the resume
point and raises `SourceChanged` when its `_id` is not the checkpoint's last one (the file was
replaced or edited before that point); the caller then starts that collection over.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

import psycopg

from pmo_playbook.documents.registry.columns import TableSpec
from pmo_playbook.migration.codec.document import NO_ID_PREFIX
from pmo_playbook.migration.codec.rowcodec import RowCodec
from pmo_playbook.migration.load import quarantine
from pmo_playbook.migration.load.entry import Entry, document_forms
from pmo_playbook.migration.load.loader import explicit_transactions
from pmo_playbook.migration.sources.base import ResumePoint, Source, SourceDocument

DUPLICATE_REASON = "duplicate _id in the source"

_RECORD = """
WITH window_ids AS (
    SELECT * FROM unnest(%(ids)s::text[], %(positions)s::bigint[]) AS w(legacy_id, position)
), recorded AS (
    INSERT INTO migration_run_documents (run_id, collection, legacy_id, position)
    SELECT %(run_id)s, %(collection)s, legacy_id, position FROM window_ids
    ON CONFLICT (run_id, collection, legacy_id) DO NOTHING
)
SELECT d.legacy_id, d.position FROM migration_run_documents d
WHERE d.run_id = %(run_id)s AND d.collection = %(collection)s
    AND d.legacy_id = ANY(%(ids)s::text[]) AND d.position < %(start)s
"""  # = ANY: index lookups on the primary key (a join hashed all the run's rows: quadratic)
_RECORD_DUPLICATE = (
    "INSERT INTO migration_run_duplicates (run_id, collection, position, legacy_id) "
    "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"
)
_DUPLICATE_POSITIONS = (
    "SELECT position FROM migration_run_duplicates WHERE run_id = %s AND collection = %s "
    "ORDER BY position"
)
_FORGET_FROM = (
    "DELETE FROM migration_run_documents WHERE run_id = %(run)s AND collection = %(col)s "
    "AND position >= %(start)s",
    "DELETE FROM migration_run_duplicates WHERE run_id = %(run)s AND collection = %(col)s "
    "AND position >= %(start)s",
)
_FORGET_RUN = (
    "DELETE FROM migration_run_documents WHERE run_id = %(run)s",
    "DELETE FROM migration_run_duplicates WHERE run_id = %(run)s",
)
_COUNT_DUPLICATES = (
    "SELECT count(*) FROM migration_run_duplicates WHERE run_id = %s AND collection = %s"
)


class SourceChanged(Exception):
    """The source no longer matches a collection's checkpoint: load that collection again."""


def source_legacy_id(codec: RowCodec, raw: bytes) -> str | None:
    """The legacy_id the loader stores for `raw` (content hash for a document without `_id`).

    None when the document cannot even be read (the batch quarantines it).
    """
    try:
        lid = codec.legacy_id_of(raw)
    except Exception:  # unreadable: the loader's codec names the problem
        return None
    return lid if lid is not None else NO_ID_PREFIX + hashlib.sha256(raw).hexdigest()


def forget_run(conn: psycopg.Connection[Any], run_id: int) -> None:
    """Drop a finished run's bookkeeping (in the caller's transaction)."""
    for statement in _FORGET_RUN:
        conn.execute(statement, {"run": run_id})


def duplicates_skipped(conn: psycopg.Connection[Any], run_id: int, collection: str) -> int:
    """How many later duplicates this run quarantined instead of loading."""
    row = conn.execute(_COUNT_DUPLICATES, (run_id, collection)).fetchone()
    return int(row[0]) if row else 0


def source_position(loaded: int, duplicate_positions: list[int]) -> int:
    """The source index after `loaded` passed-on documents, given the skipped positions.

    The i-th skipped position p (0-based, ascending) has p - i passed-on documents before it; it
    lies inside the loaded prefix when that is fewer than `loaded`.
    """
    skipped = 0
    for i, position in enumerate(duplicate_positions):
        if position - i >= loaded:
            break
        skipped += 1
    return loaded + skipped


_END = object()


Check = Callable[[list[SourceDocument], list[str | None], int], list[SourceDocument]]


def _prefetched(
    docs: Iterator[SourceDocument], size: int, codec: RowCodec, check: Check | None, start: int
) -> Iterator[Any]:
    """Windows of `docs`, the next one read (and checked) by a thread meanwhile.

    With `check` (the guard's window statement, on the guard's OWN connection) the thread
    yields checked windows; without, (window, ids, position) for the caller to check. Reading
    the source, reading each `_id` and the check then overlap the loader's batch on its
    connection (psycopg releases the GIL while it waits). The thread never touches the
    loader's connection. At most two
    windows are held (memory stays bounded). A source error reaches the caller in order, after
    the documents read before it.
    """
    box: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        position = start
        try:
            while window := list(islice(docs, size)):
                ids = [source_legacy_id(codec, d.raw) for d in window]
                item = (window, ids, position) if check is None else check(window, ids, position)
                if not put(item):
                    return
                position += len(window)
            put(_END)
        except BaseException as exc:  # handed to the caller, in order
            put(exc)

    reader = threading.Thread(target=read, name="pmo-source-read", daemon=True)
    reader.start()
    try:
        while (item := box.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


class RunGuard:
    """A `Source` for one collection of one run, recording ids and holding back duplicates."""

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        source: Source,
        run_id: int,
        spec: TableSpec,
        collection: str,
        batch_size: int,
        last_legacy_id: str | None,
        connect: Callable[[], psycopg.Connection[Any]] | None = None,
    ) -> None:
        self.kind = source.kind
        self.description = source.description
        self._conn, self._source, self._run_id = conn, source, run_id
        self._main_conn, self._connect = conn, connect
        self._collection, self._batch_size = collection, batch_size
        self._last_legacy_id = last_legacy_id
        self._codec = RowCodec(collection, spec)
        self.unreadable = 0  # documents whose `_id` could not be read (listing incomplete)

    def collections(self) -> Any:
        return self._source.collections()

    @property
    def defer_checks(self) -> bool:
        """The wrapped source's `defer_checks` (loader.deferred_checks); False without one."""
        return bool(getattr(self._source, "defer_checks", False))

    @defer_checks.setter
    def defer_checks(self, value: bool) -> None:
        if hasattr(self._source, "defer_checks"):
            self._source.defer_checks = value

    def close(self) -> None:
        """The wrapped source is closed by its owner."""

    def documents(
        self, collection: str, resume: ResumePoint | None = None
    ) -> Iterator[SourceDocument]:
        """The wrapped source's documents, window by window, duplicates held back."""
        key = (self._run_id, self._collection)
        with self._conn.transaction():
            skips = [r[0] for r in self._conn.execute(_DUPLICATE_POSITIONS, key).fetchall()]
        position = source_position(resume.index if resume else 0, skips)
        docs = self._open(collection, resume, position, set(skips))
        with self._conn.transaction():
            params = {"run": self._run_id, "col": self._collection, "start": position}
            for statement in _FORGET_FROM:
                self._conn.execute(statement, params)
        # The window statements run in the reader thread, on a connection of their own when
        # the caller gave a way to open one (run.py does), else here on the loader's.
        own = self._connect() if self._connect is not None else None
        try:
            if own is not None:
                self._conn = own
                for window in _prefetched(
                    docs, self._batch_size, self._codec, self._check, position
                ):
                    yield from window
            else:
                for window, ids, at in _prefetched(
                    docs, self._batch_size, self._codec, None, position
                ):
                    yield from self._check(window, ids, at)
        finally:
            self._conn = self._main_conn
            if own is not None:
                own.close()

    def _open(
        self, collection: str, resume: ResumePoint | None, start: int, skips: set[int]
    ) -> Iterator[SourceDocument]:
        """The source from `start`; file sources first prove the document before it unchanged."""
        if not start or self.kind == "mongodb":
            return iter(self._source.documents(collection, resume))
        docs = iter(self._source.documents(collection, ResumePoint(index=start - 1)))
        anchor = next(docs, None)
        if anchor is None or (
            start - 1 not in skips
            and source_legacy_id(self._codec, anchor.raw) != self._last_legacy_id
        ):
            raise SourceChanged(f"{collection}: the source changed before its checkpoint")
        return docs

    def _check(
        self, window: list[SourceDocument], ids: list[str | None], start: int
    ) -> list[SourceDocument]:
        """Record the window's ids; quarantine and drop the ones read earlier in this run."""
        firsts: dict[str, int] = {}  # legacy_id → its first position in the window
        later: dict[int, tuple[str, int]] = {}  # offset → (legacy_id, first position)
        for offset, lid in enumerate(ids):
            if lid is None:
                self.unreadable += 1
            elif lid in firsts:
                later[offset] = (lid, firsts[lid])
            else:
                firsts[lid] = start + offset
        params = {"ids": list(firsts), "positions": list(firsts.values()), "start": start,
                  "run_id": self._run_id, "collection": self._collection}  # fmt: skip
        with explicit_transactions(self._conn):  # one statement, its own transaction: 1 trip
            recorded = self._conn.execute(_RECORD, params).fetchall()
        for lid, first in recorded:
            later[firsts[lid] - start] = (lid, int(first))
        if later:  # rare; a kill before this commits is re-checked on resume (_FORGET_FROM)
            with self._conn.transaction():
                self._quarantine(window, start, later)
        return [doc for offset, doc in enumerate(window) if offset not in later]

    def _quarantine(
        self, window: list[SourceDocument], start: int, later: dict[int, tuple[str, int]]
    ) -> None:
        """Quarantine entries (keyed `<_id> (duplicate at document #n)`) and skip positions."""
        entries = []
        table = self._codec.spec.table if self._codec.spec.scope_column is None else None
        for offset, (lid, first) in sorted(later.items()):
            doc, position = window[offset], start + offset
            document, raw_b64 = document_forms(doc.raw)
            reason = f"{DUPLICATE_REASON} (first at document #{first + 1}, this is #{position + 1})"
            entries.append(Entry(
                self._collection, table, f"{lid} (duplicate at document #{position + 1})",
                self._codec.doc_id_ejson(lid) if not lid.startswith(NO_ID_PREFIX) else None,
                document, reason, doc.position, raw_b64,
            ))  # fmt: skip
            self._conn.execute(_RECORD_DUPLICATE, (self._run_id, self._collection, position, lid))
        quarantine.record(self._conn, self._run_id, entries)
