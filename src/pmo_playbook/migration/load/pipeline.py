"""Encode batches in a worker process while the main process talks to PostgreSQL.

The codec is pure Python and CPU-bound; PostgreSQL's work on a batch (COPY, upsert, index
maintenance, read-back) runs in the server process. With a worker, batch N+1 is encoded (and its
in-memory decode proven) while batch N is written, verified and committed: the loader keeps two
cores busy instead of alternating between them.

Protocol (pickled messages over the worker's stdin/stdout, lock-step so neither side can block
on a full pipe while the other sends): the main process sends one chunk `(collection, unmapped,
start, [(raw, position), ...])` and receives its `Prepared` before sending the next; at most one
chunk is in flight, so memory stays bounded by a few batches whatever the collection size. The
worker is a fresh `python -m pmo_playbook.migration.load.pipeline` (it inherits no database
connection and never re-imports the caller's `__main__`, unlike multiprocessing's spawn) and
exits when its stdin closes, including when the main process is killed. Where the platform has
memfds (Linux), the documents' bytes and positions go out and the rows' data texts come back
through two anonymous shared-memory files (`SharedBytes`), so the pipe messages stay small.
"""

from __future__ import annotations

import mmap
import os
import signal
import subprocess
import sys
import traceback
from multiprocessing.connection import Connection
from typing import Any

from pmo_playbook.documents.registry.columns import TableSpec
from pmo_playbook.errors import PmoError
from pmo_playbook.migration.codec.rowcodec import RowCodec
from pmo_playbook.migration.load.batch import Checks, Prepared, encode_chunk
from pmo_playbook.migration.mapping import spec_for, unmapped_spec
from pmo_playbook.migration.sources.base import SourceError

Items = list[tuple[bytes, str]]
PEAK_RSS_KIB: dict[str, int] = {}  # collection -> the worker's own peak RSS (benchmark (d))


class WorkerFailed(PmoError):
    """The encoding worker died or raised (its traceback is in the message)."""

    code = "MIGRATION_WORKER_FAILED"


class _SourceFailed(tuple[str, dict[str, Any]]):
    """A deferred source check failed in the worker: (message, details) of its SourceError."""


def _peak_rss_kib() -> int:
    """VmHWM of this process (its own peak; ru_maxrss would include the forking parent's)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def worker_extract_differs(spec: TableSpec, collection: str) -> bool:
    """Whether `spec.extract` is not the function a worker would use for `collection`."""
    base = spec_for(collection) if spec.scope_column is None else None
    return base is None or spec.extract is not base.extract


def _codec(collection: str, unmapped: bool) -> RowCodec:
    spec = unmapped_spec(collection) if unmapped else spec_for(collection)
    if spec is None:
        raise WorkerFailed(f"collection {collection} maps to no table")
    return RowCodec(collection, spec)


class SharedBytes:
    """The documents' bytes of one chunk in a memfd both processes map.

    Pickling ~6 MB of documents per batch through the pipe blocked the main process ≈ 20 ms a
    batch (the kernel moves 64 KiB at a time and the worker must be scheduled to drain it);
    copying them into shared memory takes ≈ 1 ms. Lock-step (one chunk in flight) means the
    main process only writes while the worker is idle. The memfd is anonymous: nothing is left
    behind when either process dies.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.map: mmap.mmap | None = None
        self.size = 0

    @classmethod
    def create(cls) -> SharedBytes | None:
        """A new memfd (None where the platform has none: the pipe carries the bytes)."""
        make = getattr(os, "memfd_create", None)
        return cls(make("pmo-migration-chunk")) if make is not None else None

    def _mapped(self, size: int, grow: bool) -> mmap.mmap:
        if self.map is None or size > self.size:
            if grow:
                os.ftruncate(self.fd, max(size, 2 * self.size, 1 << 20))
            if self.map is not None:
                self.map.close()
            self.size = os.fstat(self.fd).st_size
            self.map = mmap.mmap(self.fd, self.size)
        return self.map

    def write(self, raws: list[bytes]) -> list[int]:
        """Copy `raws` into the shared memory (the writing side); their lengths."""
        lengths = [len(raw) for raw in raws]
        view = self._mapped(sum(lengths), grow=True)
        at = 0
        for raw, size in zip(raws, lengths, strict=True):
            view[at : at + size] = raw
            at += size
        return lengths

    def read(self, lengths: list[int]) -> list[bytes]:
        """The byte strings the other side wrote."""
        view = self._mapped(sum(lengths), grow=False)
        out, at = [], 0
        for size in lengths:
            out.append(view[at : at + size])
            at += size
        return out

    def close(self) -> None:
        if self.map is not None:
            self.map.close()
        os.close(self.fd)


def _unpack(chunk: Any, shared: SharedBytes | None) -> Items:
    """The (raw, position) items of a message: inline, or ("shared", lengths): the documents
    then their positions (UTF-8) in the shared memory."""
    if isinstance(chunk, tuple) and chunk[0] == "shared" and shared is not None:
        parts = shared.read(chunk[1])
        half = len(parts) // 2
        return [(raw, pos.decode()) for raw, pos in zip(parts[:half], parts[half:], strict=True)]
    assert isinstance(chunk, list)
    return chunk


def _pack_checks(checks: Checks | None) -> Any:
    """Checks as (label, offsets) when every document has the same label (a small message)."""
    if not checks or any(c is None for c in checks):
        return checks
    labels = {c[0] for c in checks if c is not None}
    if len(labels) != 1:
        return checks
    return ("one-label", labels.pop(), [c[1] for c in checks if c is not None])


def _unpack_checks(packed: Any) -> Checks | None:
    if isinstance(packed, tuple) and packed[0] == "one-label":
        return [(packed[1], offset) for offset in packed[2]]
    return packed  # type: ignore[no-any-return]


def _wide(fd: int) -> int:
    """Give a pipe 1 MiB of buffer (Linux) so that a message never waits for the reader to be
    scheduled: on 2 busy cores that wait cost ≈ 28 ms per batch."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except OSError:
        pass
    return fd


def _pack(prepared: Prepared, back: SharedBytes | None) -> Prepared:
    """Move the rows' data JSON texts (most of a result's bytes) into `back` (worker)."""
    if back is None:
        return prepared
    lengths = back.write([row[2] for row in prepared.rows])
    prepared.rows = [(*row[:2], None, *row[3:]) for row in prepared.rows]
    prepared.shared_lengths = lengths
    return prepared


def _unpack_result(prepared: Prepared, back: SharedBytes | None) -> Prepared:
    """Put the data JSON texts back into the rows (main process)."""
    if prepared.shared_lengths is None or back is None:
        return prepared
    texts = back.read(prepared.shared_lengths)
    prepared.rows = [
        (*row[:2], text, *row[3:]) for row, text in zip(prepared.rows, texts, strict=True)
    ]
    prepared.shared_lengths = None
    return prepared


def _serve(
    inbox: Connection,
    outbox: Connection,
    shared: SharedBytes | None = None,
    back: SharedBytes | None = None,
) -> None:
    """Worker loop: encode chunks until stdin closes or None arrives."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's business
    codecs: dict[tuple[str, bool], RowCodec] = {}
    while True:
        try:
            message = inbox.recv()
        except (EOFError, OSError):
            return
        if message is None:
            outbox.send(_peak_rss_kib())
            return
        collection, unmapped, start, chunk, checks = message
        try:
            items = _unpack(chunk, shared)
            checks = _unpack_checks(checks)
            key = (collection, unmapped)
            if key not in codecs:
                codecs[key] = _codec(collection, unmapped)
            result: Any = _pack(encode_chunk(items, codecs[key], start, checks), back)
        except SourceError as exc:  # a corrupt document: the loader raises it in order
            result = _SourceFailed((exc.message, exc.details))
        except Exception:
            result = WorkerFailed(traceback.format_exc(limit=5))
        outbox.send(result)


def main() -> None:
    """Entry point of the worker process: messages on stdin, results on (the real) stdout."""
    outbox = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # anything printed by accident goes to stderr, not into the protocol
    shared = SharedBytes(int(sys.argv[1])) if len(sys.argv) > 2 else None
    back = SharedBytes(int(sys.argv[2])) if len(sys.argv) > 2 else None
    _serve(Connection(os.dup(0), writable=False), outbox, shared, back)


class Encoder:
    """Encode chunks inline (small collections, tests) or in a worker process.

    `start_after`: a collection of unknown size (an export file, a query without a count)
    starts inline and starts its worker only once that many documents went through inline:
    a few documents never pay for a process start (≈ 0.3–0.5 s each on a busy machine).
    """

    def __init__(self, codec: RowCodec, use_worker: bool, start_after: int | None = None) -> None:
        self.codec = codec
        self.unmapped = codec.spec.scope_column is not None
        self.pending: tuple[Items, int, Checks | None] | None = None
        self.outbox: Connection | None = None
        self.inbox: Connection | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.in_flight = False
        self.shared: SharedBytes | None = None  # documents to the worker
        self.back: SharedBytes | None = None  # data JSON texts back from it
        self.inline_left = start_after  # documents still encoded inline before a late start
        self.last_from_worker = False  # whether the last result came from the worker
        if use_worker:
            self._start()

    @property
    def worker(self) -> bool:
        """Whether chunks now go to a worker process."""
        return self.outbox is not None

    def _start(self) -> None:
        self.shared, self.back = SharedBytes.create(), SharedBytes.create()
        fds: tuple[int, ...] = ()
        if self.shared is not None and self.back is not None:
            fds = (self.shared.fd, self.back.fd)
        else:  # no memfd here: everything through the pipe
            self.shared = self.back = None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pmo_playbook.migration.load.pipeline", *map(str, fds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            pass_fds=fds,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.outbox = Connection(_wide(os.dup(self.process.stdin.fileno())), readable=False)
        self.inbox = Connection(_wide(os.dup(self.process.stdout.fileno())), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()

    def submit(self, items: Items, start: int, checks: Checks | None = None) -> None:
        """Start encoding a chunk (returns at once with a worker)."""
        if self.inline_left is not None and self.outbox is None and self.process is None:
            if self.inline_left <= 0:
                self._start()
            self.inline_left -= len(items)
        if self.outbox is not None:
            chunk: Any = items
            if self.shared is not None:
                parts = [raw for raw, _ in items] + [pos.encode() for _, pos in items]
                chunk = ("shared", self.shared.write(parts))
            message = (self.codec.collection, self.unmapped, start, chunk, _pack_checks(checks))
            try:
                self.outbox.send(message)
            except OSError as exc:
                raise WorkerFailed(f"the encoding worker of {self.codec.collection} died") from exc
            self.in_flight = True
        else:
            self.pending = (items, start, checks)

    def result(self) -> Prepared:
        """The encoding of the chunk last submitted."""
        self.last_from_worker = self.inbox is not None and self.pending is None
        if self.inbox is None or self.pending is not None:
            assert self.pending is not None
            items, start, checks = self.pending
            self.pending = None
            return encode_chunk(items, self.codec, start, checks)
        try:
            result = self.inbox.recv()
            self.in_flight = False
        except (EOFError, OSError) as exc:
            raise WorkerFailed(f"the encoding worker of {self.codec.collection} died") from exc
        if isinstance(result, WorkerFailed):
            raise result
        if isinstance(result, _SourceFailed):
            raise SourceError(result[0], details=result[1])
        assert isinstance(result, Prepared)
        return _unpack_result(result, self.back)

    def close(self) -> None:
        """Stop the worker (recording its peak RSS); safe to call twice."""
        if self.outbox is None or self.inbox is None or self.process is None:
            return
        outbox, inbox, self.outbox, self.inbox = self.outbox, self.inbox, None, None
        try:
            if not self.in_flight:  # after an error mid-batch there is no peak to collect
                outbox.send(None)
                if inbox.poll(10):
                    PEAK_RSS_KIB[self.codec.collection] = int(inbox.recv())
        except (EOFError, OSError):
            pass
        finally:
            outbox.close()
            inbox.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for shared in (self.shared, self.back):
            if shared is not None:
                shared.close()
        self.shared = self.back = None


if __name__ == "__main__":
    # Run the imported module's code, not this `__main__` copy: the classes the worker pickles
    # (Prepared, WorkerFailed, _SourceFailed) must be named `pmo_playbook.migration.load.pipeline.*`
    # for the loader to unpickle them.
    from pmo_playbook.migration.load import pipeline

    pipeline.main()
