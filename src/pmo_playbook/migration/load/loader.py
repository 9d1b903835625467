"""Load a legacy source into PostgreSQL: streamed batches, COPY, one set-based upsert each.

Per batch, in ONE transaction: encode every document with the codec and derive its columns
(the column rules of `documents.registry`); documents that cannot be rows are quarantined; the
rest are COPYed (binary) into a TEMP staging table; rows whose natural key another `_id` holds
are moved to quarantine by one DELETE ... USING; one INSERT ... SELECT ... ON CONFLICT
(legacy_id) DO UPDATE WHERE <row differs> writes the batch; the stored rows are read back and
verified against the source bytes (see `RowCodec.verify_stored`); the checkpoint is saved;
COMMIT. A killed run resumes at its checkpoint.

Large collections are encoded one batch ahead in a worker process (pipeline.py) while the main
process reads the source and writes the previous batch; small ones inline.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from pmo_playbook.migration.codec.rowcodec import RowCodec
from pmo_playbook.migration.load import checkpoints, quarantine, staging
from pmo_playbook.migration.load import direct as direct_path
from pmo_playbook.migration.load.batch import Batch, Sent, attach, checks_of, rederive
from pmo_playbook.migration.load.checkpoints import Checkpoint
from pmo_playbook.migration.load.entry import Entry
from pmo_playbook.migration.load.id_range import IdRange
from pmo_playbook.migration.load.pipeline import Encoder, worker_extract_differs
from pmo_playbook.migration.load.progress import NullProgress, ProgressSink
from pmo_playbook.migration.sources.base import ResumePoint, Source, SourceDocument

DEFAULT_BATCH_SIZE = 2000
DEFER_INDEXES_MIN = 20_000


@dataclass
class LoadOptions:
    """Knobs of a load."""

    batch_size: int = DEFAULT_BATCH_SIZE
    include_unmapped: bool = False
    progress: ProgressSink = field(default_factory=NullProgress)
    # Encode in a worker process when a collection has more than this many documents left
    # (None: never). Below it the process start-up would cost more than it saves: a worker
    # from two batches on cost ≈ 0.5-0.8 s of CPU per collection (its imports) and lost on
    # registry-shaped documents (bench/migrate.py); a worker kept for the whole run is not
    # built yet.
    worker_threshold: int | None = 3 * DEFAULT_BATCH_SIZE
    # Load without the target's secondary indexes (created again after) when a collection of at
    # least this many documents starts into an empty table (None: never). deferred_indexes.py.
    defer_indexes_min: int | None = DEFER_INDEXES_MIN
    # COPY a first load's batches straight into the (empty at start) target table, the staging
    # path as the fallback of a batch that meets a conflict (direct.py).
    direct_copy: bool = True
    # Load only the documents whose `_id` lies in this range (id_range.py); None: all of them.
    id_range: IdRange | None = None


def _documents(
    source: Source, collection: str, point: Checkpoint, codec: RowCodec
) -> Iterator[SourceDocument]:
    resume = None
    if point.next_index:
        last = codec.id_value(point.last_legacy_id) if point.last_legacy_id else None
        resume = ResumePoint(index=point.next_index, last_id=last)
    return iter(source.documents(collection, resume))


def read_chunk(
    docs: Iterator[SourceDocument], size: int
) -> tuple[list[SourceDocument], Exception | None]:
    """The next chunk, or the source error that stopped it (raised after the previous commit)."""
    try:
        return list(islice(docs, size)), None
    except Exception as exc:
        return [], exc


@dataclass
class CollectionLoad:
    """One collection's load within a run: what every step of the batch loop shares."""

    conn: psycopg.Connection[Any]
    run_id: int
    codec: RowCodec  # the source collection and its table spec
    point: Checkpoint  # where the load stands (advanced and saved with every batch)
    options: LoadOptions
    direct: bool = False  # COPY straight into the (empty at start) target (direct.py)


def load_collection(load: CollectionLoad, source: Source, total: int | None) -> Checkpoint:
    """Stream one collection from its checkpoint to the end, batch by batch."""
    codec, point, options = load.codec, load.point, load.options
    options.progress.start(codec.collection, total, point.next_index)
    left = None if total is None else total - point.next_index
    threshold = options.worker_threshold
    # A known size decides at once; an unknown one (export files) starts inline and starts the
    # worker once the collection proved larger than the threshold.
    use_worker = threshold is not None and left is not None and left > threshold
    late = threshold if threshold is not None and left is None else None
    encoder = Encoder(codec, use_worker, start_after=late)
    try:
        load.direct = _goes_direct(load)
        with deferred_checks(source):
            _load(load, _documents(source, codec.collection, point, codec), encoder)
    finally:
        encoder.close()
    with load.conn.transaction():
        point.done = True
        checkpoints.save(load.conn, load.run_id, point)
    options.progress.finish(codec.collection)
    return point


def _goes_direct(load: CollectionLoad) -> bool:
    """A first load (from the start, into an empty table) whose batches can be COPYed as is."""
    spec = load.codec.spec
    return (
        load.options.direct_copy
        and load.point.next_index == 0
        and direct_path.eligible(spec)
        and direct_path.table_is_empty(load.conn, spec)
    )


def _load(load: CollectionLoad, docs: Iterator[SourceDocument], encoder: Encoder) -> None:
    """The batch loop: batch N+1 is encoded (in the worker) while batch N is written.

    When the caller's extract function is not the table's own (the worker only has the table's
    own), the main process derives the columns again right after the worker's result, before
    the next window is read, and does not read ahead. The run guard wraps the source, not
    extract, and reads it ahead in a thread of its own (run_guard._prefetched).
    """
    codec, point, options = load.codec, load.point, load.options
    differs = worker_extract_differs(codec.spec, codec.collection)
    started = time.perf_counter()
    chunk, error = read_chunk(docs, options.batch_size)
    if chunk:
        encoder.submit(_items(chunk), point.next_index, checks_of(chunk))
    while chunk:
        following: list[SourceDocument] = []
        read_ahead = encoder.worker and not differs  # the worker may start late (pipeline.py)
        if read_ahead and error is None:
            following, error = read_chunk(docs, options.batch_size)
        prepared = encoder.result()
        items = _items(chunk)
        if differs and encoder.last_from_worker:
            rederive(prepared, items, codec, point.next_index)
        if not read_ahead and error is None:
            following, error = read_chunk(docs, options.batch_size)
        if following:
            encoder.submit(_items(following), point.next_index + len(chunk), checks_of(following))
        batch = attach(prepared, items, codec, point.next_index)
        started = _commit_batch(load, batch, chunk, started)
        options.progress.advance(codec.collection, len(chunk))
        chunk = following
    if error is not None:
        raise error


def _items(chunk: list[SourceDocument]) -> list[tuple[bytes, str]]:
    return [(d.raw, d.position) for d in chunk]


def counts_last_id(chunk: list[SourceDocument], codec: RowCodec) -> str | None:
    """The canonical `_id` of the batch's last document (the live source resumes after it)."""
    return codec.legacy_id_of(chunk[-1].raw)


@contextmanager
def deferred_checks(source: Source) -> Iterator[None]:
    """Let a source that can (`defer_checks`, mongodump) leave the document checks to the
    encoder for the block: `batch.encode_chunk` runs them, in the worker when there is one,
    and most documents need none beyond the fast encoder's own decode. The source
    validates again after the block (plan, verify)."""
    if not hasattr(source, "defer_checks"):
        yield
        return
    before = source.defer_checks
    source.defer_checks = True
    try:
        yield
    finally:
        source.defer_checks = before


@contextmanager
def explicit_transactions(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """Autocommit for the block: the caller sends BEGIN/COMMIT itself, inside its pipelines.

    In its own transaction mode psycopg waits for the result of the BEGIN it sends before the
    first statement, and COMMIT in a pipeline costs two waits; written by hand both travel with
    the other statements. A single statement outside BEGIN is its own transaction.
    """
    if conn.autocommit:
        yield
        return
    conn.autocommit = True
    try:
        yield
    finally:
        if conn.info.transaction_status == TransactionStatus.IDLE:  # a broken one stays as is
            conn.autocommit = False


def _commit_batch(
    load: CollectionLoad, batch: Batch, chunk: list[SourceDocument], started: float
) -> float:
    """Write one batch and its checkpoint in ONE transaction, in 5 round trips.

    BEGIN travels with the staging table's CREATE, then the COPY (2), then every statement
    after it (1); the quarantine entries, the checkpoint and COMMIT travel together (1). Any
    error rolls the whole batch back. `load.direct`: COPY into the target itself first (direct.py;
    BEGIN alone, the COPY, then resolve + read-back), the staging path when that meets a
    conflict (rolled back first).
    """
    conn, run_id = load.conn, load.run_id
    with explicit_transactions(conn):
        try:
            sent = direct_path.send(conn, batch, run_id) if load.direct else None
            if sent is None:
                sent = send_batch(conn, batch, run_id, begin=True)
        except BaseException:
            conn.rollback()
            raise
        return _finish_batch(load, sent, chunk, started)


def _finish_batch(
    load: CollectionLoad, sent: Sent, chunk: list[SourceDocument], started: float
) -> float:
    """Verify a sent batch, then its entries + checkpoint + COMMIT (one pipeline, 1 wait).

    The connection is in `explicit_transactions`; any error rolls the batch back.
    """
    conn, run_id, point = load.conn, load.run_id, load.point
    try:
        batch = sent.batch
        counts, entries = check_batch(sent)
        point.add(counts)
        point.next_index += len(chunk)
        point.last_legacy_id = counts_last_id(chunk, batch.codec) or point.last_legacy_id
        now = time.perf_counter()
        point.seconds += now - started
        with conn.pipeline():
            if not batch.rows:  # send_batch sent nothing, BEGIN included
                conn.execute("BEGIN")
            quarantine.record(conn, run_id, entries)
            checkpoints.save(conn, run_id, point)
            conn.execute("COMMIT")
    except BaseException:
        conn.rollback()
        raise
    return now


def write_batch(conn: psycopg.Connection[Any], batch: Batch, run_id: int | None) -> dict[str, int]:
    """Stage, quarantine conflicts, upsert, read back, compare, record: the caller's transaction."""
    counts, entries = check_batch(send_batch(conn, batch, run_id))
    quarantine.record(conn, run_id, entries)
    return counts


def check_batch(sent: Sent) -> tuple[dict[str, int], list[Entry]]:
    """Verify every read-back row of a sent batch (the counts and the quarantine entries)."""
    batch, counts, entries = sent.batch, sent.counts, sent.entries
    if batch.rows:
        expected = {row[0]: row for row in batch.rows}
        identical, different = batch.codec.verify_stored(
            sent.stored, expected, batch.unverified, batch.raw_by_ord
        )
        counts["identical"], counts["different"] = identical, len(different)
    counts["quarantined"] = len(entries)
    return counts, entries


def send_batch(
    conn: psycopg.Connection[Any], batch: Batch, run_id: int | None, *, begin: bool = False
) -> Sent:
    """Stage, quarantine conflicts, upsert and read back (no verification, nothing committed).

    Round trips: the staging table's CREATE (after BEGIN when `begin`, when the caller runs
    `explicit_transactions`) in one pipeline, the COPY (libpq cannot pipeline it: 2), then
    every statement after it in one pipeline.
    """
    spec = batch.spec
    counts = {"read": batch.read, "quarantined": 0, "dangling_refs": batch.dangling}
    entries = list(batch.rejected)
    stored: list[tuple[Any, ...]] = []
    if batch.rows:
        with conn.pipeline():
            if begin:
                conn.execute("BEGIN")
            conn.execute(staging.create_stage(spec))
        with conn.cursor() as cur:
            cur.adapters.register_dumper(staging.JsonbText, staging.JsonbTextDumper)
            with cur.copy(staging.copy_stage(spec)) as copy:
                copy.set_types([t for _, t in staging.stage_columns(spec)])
                for row in batch.rows:
                    copy.write_row(row)
        with conn.pipeline():
            conflicts = [
                (k, conn.execute(staging.delete_conflicts(spec, k))) for k in spec.unique_keys
            ]
            ref = spec.reference
            dangling = conn.execute(staging.count_dangling(ref)) if ref is not None else None
            upserted = conn.execute(staging.upsert(spec))
            quarantine.resolve_staged(conn, run_id, batch.collection)
            read_back = conn.execute(staging.read_back(spec))
        for key, cur in conflicts:
            for ord_, holder in cur.fetchall():
                entries.append(batch.conflict_entry(ord_, key, holder))
        if dangling is not None:
            found = dangling.fetchone()
            counts["dangling_refs"] += int(found[0]) if found else 0
        flags = [r[0] for r in upserted.fetchall()]
        stored = read_back.fetchall()
        counts["inserted"] = sum(1 for f in flags if f)
        counts["updated"] = len(flags) - counts["inserted"]
        counts["unchanged"] = len(batch.rows) - (len(entries) - len(batch.rejected)) - len(flags)
    return Sent(batch, counts, entries, stored)
