"""Deferred secondary indexes of a first load (what pg_restore does), crash-safe.

When `pmo migrate run` starts loading a large collection into an EMPTY table, the table's
non-unique secondary indexes (GIN and btree; never the primary key, a unique index or an index
backing a constraint: the upsert, the natural-key checks and the read-back rely on those) are
dropped, the collection is loaded, and the indexes are created again from their exact
definitions (`pg_get_indexdef`).

Crash safety: the definitions are recorded in `migration_deferred_indexes` (migration 0007) in
the SAME transaction that drops the indexes, and each record is deleted in the same transaction
that creates its index again. Whatever the point a run is killed at, every missing index is
recorded. `restore_all` runs first thing in every `pmo migrate run` (and in the cleanup of a
failed run); `missing` lets `pmo db status` name what is still missing; `pmo serve` creates
missing ones in the background (`restore_in_background`, CREATE INDEX CONCURRENTLY so the app's
writes are not blocked) unless a migration holds the writer lock.

The rebuild of one table runs on a second connection in a thread (`Rebuilder`) while the next
collection loads, so that it overlaps with the load instead of adding to it; the run waits for
it before its final counts and reports.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

import psycopg
from psycopg import sql

from pmo_playbook.db.connect import connect
from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.load.exclusive import try_exclusive_writer

log = logging.getLogger(__name__)

SERVE_PURPOSE = "pmo serve: deferred indexes"  # the lock session's application_name
MAINTENANCE_WORK_MEM = sql.Literal("256MB")  # the rebuilding session's sort memory (server side)
_SECONDARY = """
SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid
 WHERE x.indrelid = %s::regclass AND NOT x.indisunique AND NOT x.indisprimary
   AND NOT x.indisexclusion
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
 ORDER BY i.relname
"""
_RECORD = (
    "INSERT INTO migration_deferred_indexes (index_name, table_name, definition, run_id) "
    "VALUES (%s, %s, %s, %s)"
)
# exists: an index of that name; valid: usable (an interrupted CREATE INDEX CONCURRENTLY
# leaves an INVALID index behind: it counts as missing and is dropped before the rebuild)
_RECORDED = (
    "SELECT d.index_name, d.definition, x.indexrelid IS NOT NULL, coalesce(x.indisvalid, false) "
    "FROM migration_deferred_indexes d "
    "LEFT JOIN pg_index x ON x.indexrelid = to_regclass(quote_ident(d.index_name)) "
    "WHERE d.table_name = %s OR %s::text IS NULL ORDER BY d.table_name, d.index_name"
)
_FORGET = "DELETE FROM migration_deferred_indexes WHERE index_name = %s"
_LEDGER_EXISTS = "SELECT to_regclass('migration_deferred_indexes') IS NOT NULL"
_MISSING = (
    "SELECT d.index_name, d.table_name FROM migration_deferred_indexes d "
    "LEFT JOIN pg_index x ON x.indexrelid = to_regclass(quote_ident(d.index_name)) "
    "WHERE NOT coalesce(x.indisvalid, false) ORDER BY d.table_name, d.index_name"
)
_PLAIN_CREATE = "CREATE INDEX "  # how pg_get_indexdef starts a non-unique index


def defer(conn: psycopg.Connection[Any], table: str, run_id: int) -> list[str]:
    """Drop `table`'s secondary indexes if the table is empty; record them. One transaction.

    Returns the names dropped (none when the table holds rows or has no secondary index).
    """
    with conn.transaction():
        ident = sql.Identifier(table)
        conn.execute(sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(ident))
        if conn.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(ident)).fetchone():
            return []
        found = conn.execute(_SECONDARY, (table,)).fetchall()
        for name, definition in found:
            conn.execute(_RECORD, (name, table, definition, run_id))
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    return [name for name, _ in found]


def restore(conn: psycopg.Connection[Any], table: str | None = None) -> list[str]:
    """Create every recorded index of `table` (None: of every table) that is missing.

    One transaction per index: CREATE INDEX and the deletion of its record commit together.
    A recorded index that exists already (created by hand) only loses its record.
    """
    created = []
    with conn.transaction():  # a session SET: it stays after this transaction commits
        conn.execute(sql.SQL("SET maintenance_work_mem = {}").format(MAINTENANCE_WORK_MEM))
        recorded = conn.execute(_RECORDED, (table, table)).fetchall()
    for name, definition, exists, valid in recorded:
        with conn.transaction():
            if exists and not valid:
                conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
            if not valid:
                conn.execute(sql.SQL(definition))
                created.append(name)
            conn.execute(_FORGET, (name,))
    return created


def restore_concurrently(conn: psycopg.Connection[Any]) -> list[str]:
    """Create every recorded-but-missing index with CREATE INDEX CONCURRENTLY (`pmo serve`).

    For a database that is serving: a plain CREATE INDEX blocks writes to the table for the
    whole build, CONCURRENTLY does not. It cannot run in a transaction (`conn` must be in
    autocommit), so the record is deleted after the build, never before: a crash leaves the
    record (and maybe an INVALID index, which counts as missing and is dropped first next time).
    """
    if not conn.autocommit:
        raise ValueError("restore_concurrently needs an autocommit connection")
    conn.execute(sql.SQL("SET maintenance_work_mem = {}").format(MAINTENANCE_WORK_MEM))
    created = []
    for name, definition, exists, valid in conn.execute(_RECORDED, (None, None)).fetchall():
        if exists and not valid:
            conn.execute(sql.SQL("DROP INDEX CONCURRENTLY {}").format(sql.Identifier(name)))
        if not valid:
            conn.execute(sql.SQL(_concurrently(definition)))
            created.append(name)
            log.warning("created deferred index %s again (it was missing)", name)
        conn.execute(_FORGET, (name,))
    return created


def _concurrently(definition: str) -> str:
    """pg_get_indexdef's `CREATE INDEX name ON ...` as `CREATE INDEX CONCURRENTLY name ON ...`."""
    if definition.startswith(_PLAIN_CREATE):
        return _PLAIN_CREATE + "CONCURRENTLY " + definition[len(_PLAIN_CREATE) :]
    return definition  # not the expected shape: a plain (blocking) build still restores it


def restore_all(conn: psycopg.Connection[Any]) -> list[str]:
    """Create every recorded-but-missing index (start of a run, cleanup of a failed one)."""
    with conn.transaction():
        row = conn.execute(_LEDGER_EXISTS).fetchone()
    if not row or not row[0]:
        return []
    created = restore(conn)
    if created:
        log.warning("created %d deferred index(es) again", len(created))
    return created


def missing(conn: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    """(index, table) recorded as deferred and not present (for `pmo db status`)."""
    row = conn.execute(_LEDGER_EXISTS).fetchone()
    if not row or not row[0]:
        return []
    return [(str(r[0]), str(r[1])) for r in conn.execute(_MISSING).fetchall()]


def restore_in_background(url: DatabaseUrl) -> threading.Thread:
    """`pmo serve`: create missing deferred indexes in a daemon thread while the app serves.

    On its own connections; under the migration writer lock (exclusive.py), taken without
    waiting: while a migration runs, the indexes are left to it (one log line). Errors are
    logged, never raised: serving goes on without the indexes, as before.
    """
    thread = threading.Thread(
        target=_restore_for_serve, args=(url,), name="deferred-index-restore", daemon=True
    )
    thread.start()
    return thread


def _restore_for_serve(url: DatabaseUrl) -> None:
    try:
        with connect(url, autocommit=True) as conn:
            found = missing(conn)
            if not found:
                return
            names = ", ".join(f"{name} on {table}" for name, table in found)
            with try_exclusive_writer(url, SERVE_PURPOSE) as lock:
                if lock.refused_by is not None:
                    log.warning(
                        "%d deferred index(es) missing (%s); not created by pmo serve: a "
                        "migration is writing to this database (%s) and creates them",
                        len(found), names, lock.refused_by,
                    )  # fmt: skip
                    return
                log.warning("%d deferred index(es) missing (%s); creating them", len(found), names)
                created = restore_concurrently(conn)
                log.warning("pmo serve created %d deferred index(es) again", len(created))
    except Exception:
        log.exception(
            "creating the missing deferred indexes failed (the app keeps serving without them; "
            "the next `pmo migrate run` or `pmo serve` tries again)"
        )


class Rebuilder:
    """Creates deferred indexes table by table on its own connection, in a thread.

    `submit(table)` returns at once; `finish()` waits for every submitted table and raises the
    first error (the records of what failed stay for the next run). The thread only touches its
    own connection.
    """

    def __init__(self, url: DatabaseUrl) -> None:
        self._url = url
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.tables: set[str] = set()

    def submit(self, table: str) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="index-rebuild", daemon=True)
            self._thread.start()
        self.tables.add(table)
        self._queue.put(table)

    def _run(self) -> None:
        try:
            with connect(self._url) as conn:
                while (table := self._queue.get()) is not None:
                    if self._error is None:
                        restore(conn, table)
        except BaseException as exc:  # reported by finish(), in the main thread
            self._error = exc
            while self._queue.get() is not None:  # drain until finish()
                pass

    def finish(self) -> None:
        """Wait for every submitted rebuild; raise the first error."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()
        self.tables.clear()
        error, self._error = self._error, None
        if error is not None:
            raise error
