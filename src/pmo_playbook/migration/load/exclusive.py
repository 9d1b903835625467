"""One migration writer at a time per database: a session-level advisory lock.

`pmo migrate run` (and `pmo demo`, which goes through `run.migrate()`), `pmo migrate quarantine
retry` and the deferred-index restore of `pmo serve` write application tables and the migration
bookkeeping (`migration_runs`, checkpoints, the run guard's `_id` ledger, deferred indexes). Two
of them at once corrupt a run: a second run of the same source resumes the FIRST run's id while
it is alive (`checkpoints.open_run`), both write its checkpoints, and the run guard quarantines
the `_id`s the other process already read as duplicates; a catch-up `--prune` of another source
deletes rows the first run just wrote.

`exclusive_writer()` opens a DEDICATED connection and takes `pg_try_advisory_lock(WRITER_LOCK_KEY)`
on it for the whole duration. It never waits for the lock: when another session holds it, it
raises `MigrationInProgress` naming that session (application_name, server pid, connection time
from `pg_locks` + `pg_stat_activity`; a run renames its session "pmo migrate run #<id>" once
open, and its source is read from `migration_runs`). The lock belongs to
the session, so it ends with the connection: a SIGKILLed run never blocks the next one (its server
session ends as soon as the socket closes; a short grace covers the moment it takes).

A run checks that it still holds the lock (`WriterLock.check`): after a batch at most every
HEARTBEAT_SECONDS, and always right before `--prune` deletes rows. A lock session that died
(terminated by an administrator, a dropped network path, an idle timeout of something in
between; connections keep TCP keepalives on, db/connect.py) means another writer may have
started meanwhile, so the run STOPS (`WriterLockLost`, exit 2) after its last committed batch
instead of writing on unprotected; the next `pmo migrate run` resumes from its checkpoints. It
never takes the lock again by itself: a writer that ran in between may have changed the run.

Behind a transaction pooler (PgBouncer, Neon `-pooler` hosts) a session-level lock is held by
whichever server connection happened to run it and may never be released; there no lock is
taken (one warning: use the direct endpoint for migrations), but a lock held elsewhere (a run
on the direct endpoint) is still seen in `pg_locks` and refused as usual. Advisory locks are per
database, so runs into different databases of one server never exclude each other.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from pmo_playbook.db.connect import connect
from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.errors import MigrationInProgress
from pmo_playbook.migration.load.progress import ProgressSink

log = logging.getLogger(__name__)

# The 64-bit advisory lock key of the migration writer: the ASCII bytes of "pmo_migr" read as a
# big-endian integer (0x706D6F5F6D696772). In `pg_locks` it shows as locktype 'advisory',
# classid 0x706D6F5F (1886220127), objid 0x6D696772 (1835624306), objsubid 1. Distinct from the
# schema runner's transaction-level key (db/schema.py `_LOCK_KEY`, a SHA-256 prefix).
WRITER_LOCK_KEY = 0x706D6F5F6D696772
MIGRATE_RUN = "pmo migrate run"  # the purpose (application_name) of `run.migrate()`
GRACE_SECONDS = 1.0  # a just-killed holder's server session may take a moment to end
HEARTBEAT_SECONDS = 15.0  # how often a run checks its lock session is alive (after a batch)
POOLER_WARNING = (
    "DATABASE_URL is a transaction pooler (PgBouncer / Neon -pooler): concurrent migration "
    "runs cannot be excluded through it; use the direct endpoint for migrations"
)

_TRY_LOCK = "SELECT pg_try_advisory_lock(%s)"
_UNLOCK = "SELECT pg_advisory_unlock(%s)"
_NAME_SESSION = "SELECT set_config('application_name', %s, false)"
_HOLDER = """
SELECT l.pid, a.application_name, a.backend_start FROM pg_locks l
  LEFT JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND l.classid::bigint = %s AND l.objid::bigint = %s
 LIMIT 1
"""
_RUN = "SELECT source_description FROM migration_runs WHERE id = %s"
_RUN_LABEL = re.compile(re.escape(MIGRATE_RUN) + r" #(\d+)$")


class WriterLockLost(MigrationInProgress):
    """The session holding this writer's lock ended while the writer was still writing."""

    code = "WRITER_LOCK_LOST"


@dataclass
class WriterLock:
    """This process's side of the lock: `refused_by` names the holder when it was not taken."""

    conn: psycopg.Connection[Any] | None  # the lock's session (None: behind a pooler, or refused)
    refused_by: str | None = None
    _checked_at: float = field(default_factory=time.monotonic)

    def announce(self, name: str) -> None:
        """Rename the lock's session (its application_name), e.g. once a run has its id."""
        if self.conn is not None:
            self.conn.execute(_NAME_SESSION, (name[:63],))

    def check(self, *, now: bool = False) -> None:
        """Raise `WriterLockLost` if the lock's session has ended (at most every
        HEARTBEAT_SECONDS unless `now`). Nothing to check behind a pooler."""
        if self.conn is None:
            return
        if not now and time.monotonic() - self._checked_at < HEARTBEAT_SECONDS:
            return
        self._checked_at = time.monotonic()
        try:
            self.conn.execute("SELECT 1")
        except psycopg.Error as exc:
            raise WriterLockLost(
                "this migration lost its writer lock (the session holding it ended: "
                f"{type(exc).__name__}); it stopped after its last committed batch so that no "
                "other writer is overlapped: run it again to resume"
            ) from None


class LockCheckingProgress:
    """A progress sink that also checks the writer lock after each batch (throttled)."""

    def __init__(self, inner: ProgressSink, lock: WriterLock) -> None:
        self._inner, self._lock = inner, lock

    def start(self, collection: str, total: int | None, done: int) -> None:
        self._inner.start(collection, total, done)

    def advance(self, collection: str, count: int) -> None:
        self._inner.advance(collection, count)
        self._lock.check()

    def finish(self, collection: str) -> None:
        self._inner.finish(collection)


def run_label(run_id: int) -> str:
    """What a run's lock session is called once the run is open ("pmo migrate run #7")."""
    return f"{MIGRATE_RUN} #{run_id}"


def lock_applies(url: DatabaseUrl) -> bool:
    """Whether a session advisory lock can exclude writers through this URL (not a pooler)."""
    return not url.is_transaction_pooler()


@contextmanager
def exclusive_writer(url: DatabaseUrl, purpose: str) -> Iterator[WriterLock]:
    """Hold the database's migration writer lock for the block; refuse if another holds it.

    `purpose` names this writer to others (it becomes the lock session's application_name,
    e.g. "pmo migrate run"). Raises `MigrationInProgress` (exit 2 in the CLI) before anything
    is written when another session holds the lock.
    """
    with try_exclusive_writer(url, purpose) as lock:
        if lock.refused_by is not None:
            raise MigrationInProgress(
                f"another migration is writing to this database ({lock.refused_by}); wait for "
                "it to finish or stop it, then run again",
                details={"holder": lock.refused_by},
            )
        yield lock


@contextmanager
def try_exclusive_writer(url: DatabaseUrl, purpose: str) -> Iterator[WriterLock]:
    """Take the writer lock if free, without waiting. The yielded lock's `refused_by` is None
    while holding it (or when a pooler makes it moot, after one warning), else a description
    of the session holding it (nothing is held then)."""
    if not lock_applies(url):
        # No lock can be taken through the pooler, but one held on the direct endpoint (where
        # migrations run) is visible in pg_locks from any session: respect it.
        with connect(url, autocommit=True) as conn:
            holder = current_holder(conn)
        if holder is not None:
            yield WriterLock(None, str(holder))
            return
        log.warning(POOLER_WARNING)
        yield WriterLock(None)
        return
    conn = connect(url, autocommit=True)
    try:
        conn.execute(_NAME_SESSION, (purpose[:63],))
        if not _try_lock(conn):
            yield WriterLock(None, describe_holder(conn))
            return
        try:
            yield WriterLock(conn)
        finally:
            _unlock(conn)
    finally:
        conn.close()


def _try_lock(conn: psycopg.Connection[Any]) -> bool:
    """pg_try_advisory_lock, retried for GRACE_SECONDS (a killed holder's session ending)."""
    deadline = time.monotonic() + GRACE_SECONDS
    while True:
        row = conn.execute(_TRY_LOCK, (WRITER_LOCK_KEY,)).fetchone()
        if row is not None and row[0]:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def _unlock(conn: psycopg.Connection[Any]) -> None:
    """Release the lock (closing the connection would too; this makes it explicit)."""
    if conn.closed or conn.broken:
        return
    try:
        conn.execute(_UNLOCK, (WRITER_LOCK_KEY,))
    except psycopg.Error:
        log.warning("could not release the migration writer lock; closing its connection does")


def describe_holder(conn: psycopg.Connection[Any]) -> str:
    """Who holds the writer lock: its session (name, server pid, since) and its run, if one."""
    holder = current_holder(conn)  # None: released in between, or not visible to this user
    return str(holder) if holder else "held by another session"


@dataclass(frozen=True)
class Holder:
    """The session holding the writer lock, and the run it is, when it is a run."""

    pid: int
    name: str  # its application_name
    since: datetime | None
    run_id: int | None
    source: str | None

    def __str__(self) -> str:
        parts = [self.name or "unnamed session", f"server pid {self.pid}"]
        if self.since is not None:
            parts.append(f"connected {self.since:%Y-%m-%d %H:%M:%S %Z}".strip())
        if self.source is not None:
            parts.append(f"source {self.source}")
        return ", ".join(parts)


def current_holder(conn: psycopg.Connection[Any]) -> Holder | None:
    """The session holding the writer lock now, or None when it is free."""
    high, low = WRITER_LOCK_KEY >> 32, WRITER_LOCK_KEY & 0xFFFFFFFF
    row = conn.execute(_HOLDER, (high, low)).fetchone()
    if row is None:
        return None
    name = row[1] or ""
    label = _RUN_LABEL.match(name)
    run_id = int(label.group(1)) if label else None
    source = _run_source(conn, run_id) if run_id is not None else None
    return Holder(int(row[0]), name, row[2], run_id, source)


def _run_source(conn: psycopg.Connection[Any], run_id: int) -> str | None:
    """The source description of a run (None if unreadable)."""
    try:
        row = conn.execute(_RUN, (run_id,)).fetchone()
    except psycopg.Error:  # autocommit: the failed statement leaves the session usable
        return None
    return str(row[0]) if row else None
