"""A first load's batch COPYed straight into its target table, staging as fallback.

When a collection starts loading (checkpoint at 0) into an EMPTY table of its own, its batches
are COPYed (binary) into the target table itself, inside the batch's transaction, instead of
into a TEMP staging table followed by `INSERT ... SELECT ... ON CONFLICT`. That saves, per
document, a second jsonb parse, the staging table's write and the INSERT ... SELECT.

Why the result is the staging path's: the staging path's only outcomes for a staged row are
"inserted", "updated/unchanged" (its legacy_id is stored) and "quarantined" (another legacy_id
holds one of its natural keys). Every natural key (`TableSpec.unique_keys`, `lower(email)`
included) and legacy_id has a UNIQUE index on the target (tested:
`tests/migration_perf/test_direct_copy.py`), and those indexes are never deferred. So the
direct COPY succeeds exactly when no row of the batch meets a stored legacy_id or natural key,
i.e. exactly when the staging path would insert every row. When the COPY raises an integrity
error (unique, check or not-null violation) the whole batch is rolled back and written again
through the staging path, which quarantines or fails exactly as before. Tables whose rows need
a join on load (agent_sops' `human_sop_id`, dangling references counted) and the shared
`legacy_documents` never take this path.

The open quarantine entries of the stored documents are resolved and the rows read back (for
the same per-document verification as the staging path) by their legacy ids.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from psycopg import sql

from pmo_playbook.documents.registry.columns import TableSpec
from pmo_playbook.migration.load import staging
from pmo_playbook.migration.load.batch import Batch, Sent

log = logging.getLogger(__name__)

_RESOLVE_IDS = (
    "UPDATE migration_quarantine SET resolved_at = now(), resolved_run_id = %s, "
    "resolution = 'stored' WHERE collection = %s AND resolved_at IS NULL "
    "AND legacy_id = ANY(%s::text[])"
)


def eligible(spec: TableSpec) -> bool:
    """Whether the table's batches can be COPYed as they are (no join, not shared)."""
    return spec.scope_column is None and spec.reference is None


def table_is_empty(conn: psycopg.Connection[Any], spec: TableSpec) -> bool:
    """Whether the target table holds no row (its own short transaction)."""
    with conn.transaction():
        query = sql.SQL("SELECT 1 FROM {} LIMIT 1").format(sql.Identifier(spec.table))
        return conn.execute(query).fetchone() is None


def copy_target(spec: TableSpec) -> sql.Composed:
    names = sql.SQL(", ").join(sql.Identifier(n) for n, _ in staging.stage_columns(spec)[1:])
    return sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(spec.table), names
    )


def read_back(spec: TableSpec) -> sql.Composed:
    """The stored rows of a batch by (ord, legacy_id) arrays, as the application reads them."""
    return sql.SQL(
        "SELECT s.ord, {cols} FROM unnest(%s::integer[], %s::text[]) AS s(ord, legacy_id) "
        "JOIN {table} t ON t.legacy_id = s.legacy_id"
    ).format(cols=staging.row_select(spec), table=sql.Identifier(spec.table))


def send(conn: psycopg.Connection[Any], batch: Batch, run_id: int | None) -> Sent | None:
    """COPY the batch into its table and read it back (a `batch.Sent`), in an open BEGIN.

    Returns None, with the transaction rolled back, when the COPY meets an integrity error
    (or the batch has no rows): the caller then writes the batch through the staging path.
    """
    spec = batch.spec
    if not batch.rows:
        return None
    conn.execute("BEGIN")
    try:
        with conn.cursor() as cur:
            cur.adapters.register_dumper(staging.JsonbText, staging.JsonbTextDumper)
            with cur.copy(copy_target(spec)) as copy:
                copy.set_types([t for _, t in staging.stage_columns(spec)[1:]])
                for row in batch.rows:
                    copy.write_row(row[1:])
    except psycopg.errors.IntegrityError as exc:
        conn.rollback()
        log.info("%s: batch at #%d redone through staging (%s)", batch.collection,
                 batch.rows[0][0], str(exc).splitlines()[0])  # fmt: skip
        return None
    ords = [row[0] for row in batch.rows]
    ids = [row[1] for row in batch.rows]
    with conn.pipeline():
        conn.execute(_RESOLVE_IDS, (run_id, batch.collection, ids))
        stored = conn.execute(read_back(spec), (ords, ids))
    n = len(batch.rows)
    counts = {
        "read": batch.read, "quarantined": 0, "dangling_refs": batch.dangling,
        "inserted": n, "updated": 0, "unchanged": 0,
    }  # fmt: skip
    log.debug("%s: batch at #%d COPYed into %s", batch.collection, ords[0], spec.table)
    return Sent(batch, counts, list(batch.rejected), stored.fetchall())
