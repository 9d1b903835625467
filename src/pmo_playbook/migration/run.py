"""`migrate()`: the library entry point of `pmo migrate run` (and of `pmo demo`'s sample data).

Plan (discover collections, map names and aliases), load every collection from its checkpoint,
then count and report. Verification of every document happens batch by batch during the load
(rows read back and decoded); `verify.verify()` re-reads the whole source independently.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
import psycopg
from psycopg.types.json import set_json_loads

from pmo_playbook.db.connect import connect
from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration import checkpoints, quarantine, staging
from pmo_playbook.migration.checkpoints import Checkpoint
from pmo_playbook.migration.loader import LoadOptions, load_collection
from pmo_playbook.migration.mapping import TableSpec, collection_sort_key, spec_for, unmapped_spec
from pmo_playbook.migration.report import CollectionReport, RunReport
from pmo_playbook.migration.sources.base import Source, SourceCollection


def open_connection(url: DatabaseUrl) -> psycopg.Connection[Any]:
    """A connection for migration work: JSONB parsed with orjson."""
    conn = connect(url)
    set_json_loads(orjson.loads, conn)
    return conn


def target_for(collection: str, include_unmapped: bool) -> TableSpec | None:
    """The table a source collection loads into (None: unmapped and not kept)."""
    spec = spec_for(collection)
    if spec is None and include_unmapped:
        return unmapped_spec(collection)
    return spec


def sorted_collections(source: Source) -> list[SourceCollection]:
    return sorted(source.collections(), key=lambda c: collection_sort_key(c.name))


def migrate(url: DatabaseUrl, source: Source, options: LoadOptions | None = None) -> RunReport:
    """Load `source` into the database at `url`, resuming an interrupted run of the same source."""
    options = options or LoadOptions()
    started = time.perf_counter()
    collections = sorted_collections(source)
    with open_connection(url) as conn:
        fp = checkpoints.fingerprint(source, collections, options.include_unmapped)
        run_id, resumed, points = checkpoints.open_run(conn, source, fp, options.include_unmapped)
        report = RunReport(run_id=run_id, source=source.description, resumed=resumed)
        try:
            for col in collections:
                spec = target_for(col.name, options.include_unmapped)
                if spec is None:
                    report.unmapped.append(col.name)
                    continue
                point = points.get(col.name) or Checkpoint(col.name)
                if not point.done:
                    point = load_collection(
                        conn, source, col.name, spec, run_id, point, options, col.count
                    )
                report.collections.append(collection_report(conn, col.name, spec, point))
        except BaseException:
            conn.rollback()
            checkpoints.finish_run(conn, run_id, "failed", report.as_json())
            raise
        report.seconds = time.perf_counter() - started
        checkpoints.finish_run(conn, run_id, "finished", report.as_json())
    return report


def collection_report(
    conn: psycopg.Connection[Any], collection: str, spec: TableSpec, point: Checkpoint
) -> CollectionReport:
    """Counters of the checkpoint, plus the row count and open quarantine entries now."""
    with conn.transaction():
        row = conn.execute(staging.count_rows(spec), {"collection": collection}).fetchone()
        open_ids = quarantine.open_ids(conn, collection)
    return CollectionReport(
        collection=collection,
        table=spec.table,
        read=point.read,
        inserted=point.inserted,
        updated=point.updated,
        unchanged=point.unchanged,
        quarantined=point.quarantined,
        identical=point.identical,
        different=point.different,
        dangling_refs=point.dangling_refs,
        seconds=point.seconds,
        source_count=point.read,
        row_count=int(row[0]) if row else 0,
        quarantined_ids=open_ids,
    )
