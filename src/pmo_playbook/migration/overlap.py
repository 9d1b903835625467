"""Two connections in turn: batch N+1 is written while batch N is verified and committed.

With one connection the main thread and PostgreSQL take turns: the server is idle while Python
verifies a batch's read-back and commits it, and Python is idle while the server parses the
COPY, upserts and reads back. Here batch N+1's first half (`loader.send_batch`: BEGIN, staging
table, COPY, conflicts, upsert, read-back) runs on the other connection in a thread while the
main thread does batch N's second half (`loader.finish_batch`: verification, quarantine entries,
checkpoint, COMMIT). psycopg releases the GIL while it waits for the server.

Guarantees kept (docs/migration-runbook.md, "Overlapped batches"):
- each batch and its checkpoint still commit in ONE transaction, and commits stay in batch
  order: only the main thread commits, batch N before batch N+1 (whose checkpoint, the same
  row, could not commit first anyway: the row lock would make it wait);
- a batch whose upsert meets a natural key that the still uncommitted batch N inserts waits
  for N's COMMIT and then fails with a unique violation: it is rolled back and written again
  (after N committed), so its conflict check sees N's rows exactly as one connection would;
- an error in batch N rolls both open transactions back; an error in batch N+1 (or in the
  encoding of the one after it) is raised after batch N committed, as with one connection;
- a kill leaves at most two open transactions, both rolled back by the server: the resume
  point is the last committed checkpoint, as before.

Only used when the run guard has its own connection (run.py), so no other statement ever runs
on a connection while a batch transaction is open on it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import psycopg
from psycopg import errors

from pmo_playbook.migration.batch import attach, checks_of
from pmo_playbook.migration.checkpoints import Checkpoint
from pmo_playbook.migration.loader import (
    LoadOptions,
    Sent,
    explicit_transactions,
    finish_batch,
    read_chunk,
    send_batch,
)
from pmo_playbook.migration.pipeline import Encoder
from pmo_playbook.migration.rowcodec import RowCodec
from pmo_playbook.migration.sources.base import SourceDocument

Chunk = list[SourceDocument]
log = logging.getLogger(__name__)


class _Sending:
    """`send_batch` of one batch on `conn` in a thread; `result()` joins it."""

    def __init__(self, conn: psycopg.Connection[Any], job: Callable[[], Sent]) -> None:
        self.conn, self.job = conn, job
        self.sent: Sent | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="pmo-batch-send", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.sent = self.job()
        except BaseException as exc:  # handed to the main thread by result()
            self.error = exc

    def result(self) -> Sent:
        """The sent batch; after a unique violation (a key of the batch committed just
        before), the batch is rolled back and sent again, now seeing that batch's rows."""
        self.thread.join()
        if isinstance(self.error, errors.UniqueViolation):
            log.info(
                "batch rolled back and written again after the batch before it: %s", self.error
            )
            self.conn.rollback()
            self.error = None
            try:
                self.sent = self.job()
            except BaseException as exc:
                self.error = exc
        if self.error is not None:
            self.conn.rollback()
            raise self.error
        assert self.sent is not None
        return self.sent

    def abandon(self) -> None:
        """Wait for the thread and roll its transaction back (the run is failing)."""
        self.thread.join()
        with contextlib.suppress(psycopg.Error):  # the run's own error is the one to report
            self.conn.rollback()


def load_overlapped(
    conns: tuple[psycopg.Connection[Any], psycopg.Connection[Any]],
    docs: Iterator[SourceDocument],
    encoder: Encoder,
    codec: RowCodec,
    run_id: int,
    point: Checkpoint,
    options: LoadOptions,
) -> None:
    """The batch loop on two connections (see the module docstring)."""
    with explicit_transactions(conns[0]), explicit_transactions(conns[1]):
        _loop(conns, _Feed(docs, encoder, codec, point.next_index, options.batch_size),
              run_id, point, options)  # fmt: skip


class _Feed:
    """Chunks read ahead by one and encoded (by the worker) ahead by one."""

    def __init__(
        self, docs: Iterator[SourceDocument], encoder: Encoder, codec: RowCodec, start: int,
        size: int,
    ) -> None:  # fmt: skip
        self.docs, self.encoder, self.codec, self.size = docs, encoder, codec, size
        self.start = start
        self.following, self.error = read_chunk(docs, size)
        if self.following:
            encoder.submit(_items(self.following), start, checks_of(self.following))

    def next(self, run_id: int) -> tuple[Chunk, Callable[[psycopg.Connection[Any]], Sent]] | None:
        """The next chunk and the job that sends it, or None at the end (or at a read error)."""
        chunk = self.following
        if not chunk:
            return None
        prepared = self.encoder.result()
        start = self.start
        self.start += len(chunk)
        self.following = []
        if self.error is None:
            self.following, self.error = read_chunk(self.docs, self.size)
        if self.following:
            self.encoder.submit(_items(self.following), self.start, checks_of(self.following))
        batch = attach(prepared, _items(chunk), self.codec, start)
        return chunk, lambda conn: send_batch(conn, batch, run_id, begin=True)


def _loop(
    conns: tuple[psycopg.Connection[Any], psycopg.Connection[Any]],
    feed: _Feed,
    run_id: int,
    point: Checkpoint,
    options: LoadOptions,
) -> None:
    started = time.perf_counter()
    first = feed.next(run_id)
    if first is None:
        if feed.error is not None:
            raise feed.error
        return
    chunk, job = first
    turn = 0
    try:
        sent = job(conns[turn])
    except BaseException:
        conns[turn].rollback()
        raise
    while True:
        pending: Exception | None = None
        sending: _Sending | None = None
        try:
            upcoming = feed.next(run_id)
        except Exception as exc:  # raised after this batch commits, as with one connection
            upcoming, pending = None, exc
        except BaseException:
            conns[turn].rollback()
            raise
        if upcoming is not None:
            other = conns[1 - turn]
            sending = _Sending(other, partial(upcoming[1], other))
        try:
            started = finish_batch(conns[turn], sent, run_id, point, chunk, started)
        except BaseException:
            if sending is not None:
                sending.abandon()
            raise
        options.progress.advance(feed.codec.collection, len(chunk))
        if pending is not None:
            raise pending
        if sending is None or upcoming is None:
            break
        chunk, turn = upcoming[0], 1 - turn
        sent = sending.result()
    if feed.error is not None:
        raise feed.error


def _items(chunk: Chunk) -> list[tuple[bytes, str]]:
    return [(d.raw, d.position) for d in chunk]
