"""`migrate()`: the library entry point of `pmo migrate run` (and of `pmo demo`'s sample data).

Plan (discover collections, map names and aliases), load every collection from its checkpoint
through a `RunGuard` (duplicate `_id`s across batches, resume anchor, ids read), report the rows
the source no longer has (and prune them on request), then count and report. Verification of
every document happens batch by batch during the load
(rows read back and decoded); `verify.verify()` re-reads the whole source independently.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

import psycopg
from psycopg import sql

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.documents.registry.columns import TableSpec
from pmo_playbook.errors import InvalidInput
from pmo_playbook.migration.codec.rowcodec import RowCodec
from pmo_playbook.migration.connection import open_connection
from pmo_playbook.migration.load import checkpoints, deferred_indexes, quarantine, staging
from pmo_playbook.migration.load.checkpoints import Checkpoint
from pmo_playbook.migration.load.exclusive import (
    MIGRATE_RUN,
    LockCheckingProgress,
    WriterLock,
    exclusive_writer,
    run_label,
)
from pmo_playbook.migration.load.id_range import IdRange, IdRangeSource
from pmo_playbook.migration.load.loader import CollectionLoad, LoadOptions, load_collection
from pmo_playbook.migration.load.prune import (
    Extras,
    PruneRequest,
    delete_extras,
    find_extras,
    group_targets,
)
from pmo_playbook.migration.load.report import CollectionReport, RunReport
from pmo_playbook.migration.load.run_guard import (
    RunGuard,
    SourceChanged,
    duplicates_skipped,
    forget_run,
)
from pmo_playbook.migration.mapping import LOAD_ORDER, sorted_collections, target_for
from pmo_playbook.migration.sources.base import Source, SourceCollection

log = logging.getLogger(__name__)


def migrate(
    url: DatabaseUrl,
    source: Source,
    options: LoadOptions | None = None,
    *,
    prune: PruneRequest | None = None,
) -> RunReport:
    """Load `source` into the database at `url`, resuming an interrupted run of the same source.

    After the load, rows whose `_id` the source no longer has are reported (`extra_count`);
    with `prune` they are deleted in one transaction (or only listed when `dry_run`).
    The whole run holds the database's migration writer lock (exclusive.py): while another
    writer holds it, `MigrationInProgress` is raised before anything is written.
    """
    options = options or LoadOptions()
    if options.id_range is not None:
        if prune is not None:
            raise InvalidInput("--prune with --id-range: the other ranges' rows would be deleted")
        source = IdRangeSource(source, options.id_range)
    with exclusive_writer(url, MIGRATE_RUN) as lock:
        checked = replace(options, progress=LockCheckingProgress(options.progress, lock))
        return _migrate(url, source, checked, prune, lock)


def _migrate(
    url: DatabaseUrl,
    source: Source,
    options: LoadOptions,
    prune: PruneRequest | None,
    lock: WriterLock,
) -> RunReport:
    """The run itself, under the writer lock: restore, open/resume, load, catch up, report."""
    started = time.perf_counter()
    collections = sorted_collections(source)
    with open_connection(url) as conn:
        deferred_indexes.restore_all(conn)  # what a killed run left dropped, before anything
        fp = checkpoints.fingerprint(source, collections, options.include_unmapped)
        run_id, resumed, points = checkpoints.open_run(conn, source, fp, options.include_unmapped)
        lock.announce(run_label(run_id))  # a refused writer names this run
        report = RunReport(run_id=run_id, source=source.description, resumed=resumed)
        rebuilder = deferred_indexes.Rebuilder(url)
        try:
            loaded = _load_all(
                conn, source, collections, run_id, points, options, report, rebuilder, url
            )
            rebuilder.finish()  # every index back before the final counts and reports
            # Rows outside an `_id` range belong to other runs: no extras, counts in the range.
            ranged = options.id_range
            extras = _catch_up(conn, run_id, loaded, report, prune, lock) if not ranged else {}
            for name, spec, point in loaded:
                report.collections.append(
                    collection_report(conn, name, spec, point, extras, run_id, ranged)
                )
        except BaseException:
            conn.rollback()
            _restore_after_failure(conn, rebuilder)
            checkpoints.finish_run(conn, run_id, "failed", report.as_json())
            raise
        report.seconds = time.perf_counter() - started
        with conn.transaction():
            forget_run(conn, run_id)
        checkpoints.finish_run(conn, run_id, "finished", report.as_json())
    return report


def _load_all(
    conn: psycopg.Connection[Any],
    source: Source,
    collections: list[SourceCollection],
    run_id: int,
    points: dict[str, Checkpoint],
    options: LoadOptions,
    report: RunReport,
    rebuilder: deferred_indexes.Rebuilder,
    url: DatabaseUrl,
) -> list[tuple[str, TableSpec, Checkpoint]]:
    """Load every mapped collection from its checkpoint; the loaded (name, spec, checkpoint).

    A large collection starting into an empty table loads without the table's secondary
    indexes (deferred_indexes.py); they are created again in the background while the next
    collection loads.
    """
    loaded = []
    for col in collections:
        spec = target_for(col.name, options.include_unmapped)
        if spec is None:
            report.unmapped.append(col.name)
            continue
        point = points.get(col.name) or Checkpoint(col.name)
        if not point.done:
            if spec.table in rebuilder.tables:  # a second collection into the same table
                rebuilder.finish()
            deferred = _defers(options, col, spec, point) and deferred_indexes.defer(
                conn, spec.table, run_id
            )
            point = _load_one(conn, source, col, (spec, run_id, url), point, options, report)
            if deferred:
                rebuilder.submit(spec.table)
        loaded.append((col.name, spec, point))
    return loaded


def _defers(
    options: LoadOptions, col: SourceCollection, spec: TableSpec, point: Checkpoint
) -> bool:
    """Whether to try deferring indexes: a large collection from its start, own table."""
    least = options.defer_indexes_min
    return (
        least is not None
        and spec.scope_column is None
        and point.next_index == 0
        and col.count is not None
        and col.count >= least
    )


def _restore_after_failure(
    conn: psycopg.Connection[Any], rebuilder: deferred_indexes.Rebuilder
) -> None:
    """A failed run still leaves every index in place (or recorded, if even this fails)."""
    try:
        rebuilder.finish()
    except Exception:
        log.exception("creating deferred indexes again failed; the next run retries")
    try:
        deferred_indexes.restore_all(conn)
    except Exception:
        conn.rollback()
        log.exception("creating deferred indexes again failed; the next run retries")


def _load_one(
    conn: psycopg.Connection[Any],
    source: Source,
    col: SourceCollection,
    target: tuple[TableSpec, int, DatabaseUrl],
    point: Checkpoint,
    options: LoadOptions,
    report: RunReport,
) -> Checkpoint:
    """Load one collection through a `RunGuard`; start it over when the source changed.

    The guard's window statements run on a connection of its own, in its reader thread, beside
    the loader's batches (≈ 8 µs of server time per document off the serial path).
    """
    spec, run_id, url = target
    while True:
        guard = RunGuard(
            conn, source, run_id, spec, col.name, options.batch_size, point.last_legacy_id,
            connect=lambda: open_connection(url),
        )  # fmt: skip
        try:
            load = CollectionLoad(conn, run_id, RowCodec(col.name, spec), point, options)
            return load_collection(load, guard, col.count)
        except SourceChanged:
            report.restarted.append(col.name)
            point = Checkpoint(col.name)
        finally:
            report.unreadable_ids += guard.unreadable


def _catch_up(
    conn: psycopg.Connection[Any],
    run_id: int,
    loaded: list[tuple[str, TableSpec, Checkpoint]],
    report: RunReport,
    prune: PruneRequest | None,
    lock: WriterLock,
) -> dict[str, Extras]:
    """Rows the source no longer has, per first source collection of each target; prune them."""
    groups = group_targets([(name, spec) for name, spec, _ in loaded])
    report.not_in_source = [t for t in LOAD_ORDER if t not in {g.spec.table for g in groups}]
    with conn.transaction():
        found = find_extras(conn, run_id, groups)
    by_collection = {e.collections[0]: e for e in found}
    if prune is None or not any(e.anything for e in found):
        return by_collection
    if report.unreadable_ids:
        report.prune_refused = (
            f"the source listing is incomplete: {report.unreadable_ids} document(s) without a "
            "readable _id; nothing pruned"
        )
        return by_collection
    if prune.dry_run or not prune.confirm(found):
        report.pruned = {}
        return by_collection
    lock.check(now=True)  # deleting rows: only while surely the one writer
    with conn.transaction():
        report.pruned, report.quarantine_closed = delete_extras(conn, run_id, groups)
    return {name: Extras(e.table, e.collections) for name, e in by_collection.items()}


def collection_report(
    conn: psycopg.Connection[Any],
    collection: str,
    spec: TableSpec,
    point: Checkpoint,
    extras: dict[str, Extras],
    run_id: int,
    id_range: IdRange | None = None,
) -> CollectionReport:
    """Counters of the checkpoint, plus the row count, open quarantine entries and extras now.

    Duplicates the run guard held back count as read and quarantined.
    """
    extra = extras.get(collection) or Extras(spec.table, [collection])
    gone = next(
        (e.gone_quarantined.get(collection, []) for e in extras.values()
         if collection in e.collections),
        [],
    )  # fmt: skip
    gone_set = set(gone)
    with conn.transaction():
        skipped = duplicates_skipped(conn, run_id, collection)
        count = staging.count_rows(spec)
        if id_range is not None:
            where = sql.SQL(" WHERE true") if spec.scope_column is None else sql.SQL("")
            count = sql.Composed([count, where, id_range.where()])
        row = conn.execute(count, {"collection": collection}).fetchone()
        open_ids = quarantine.open_ids(conn, collection)
        if id_range is not None:
            open_ids = [i for i in open_ids if id_range.contains(i)]
    return CollectionReport(
        collection=collection,
        table=spec.table,
        read=point.read + skipped,
        inserted=point.inserted,
        updated=point.updated,
        unchanged=point.unchanged,
        quarantined=point.quarantined + skipped,
        identical=point.identical,
        different=point.different,
        dangling_refs=point.dangling_refs,
        seconds=point.seconds,
        source_count=point.read + skipped,
        row_count=int(row[0]) if row else 0,
        quarantined_ids=[i for i in open_ids if i not in gone_set],
        quarantined_gone_ids=gone,
        extra_count=extra.count,
        extra_ids=extra.legacy_ids,
    )
