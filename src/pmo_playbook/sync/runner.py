"""`pmo migrate sync`: start the cut-over (if needed) and run both directions.

One process, one PostgreSQL connection, one MongoDB client. Each pass applies what MongoDB
changed (modules MongoDB owns) and what the outbox holds (modules PostgreSQL owns). Without
`follow` it returns once a pass finds nothing to do; with it, it runs until stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from pmo_playbook.db.url import DatabaseUrl, redact
from pmo_playbook.migration.connection import open_connection
from pmo_playbook.migration.sources.base import SourceError
from pmo_playbook.migration.sources.live import database_from_uri
from pmo_playbook.repositories.cutover import CutoverRepository
from pmo_playbook.sync.inbound import InboundSync
from pmo_playbook.sync.outbound import OutboundSync


@dataclass
class SyncReport:
    inbound_events: int = 0
    outbound_writes: int = 0
    passes: int = 0

    def as_json(self) -> dict[str, int]:
        return dict(self.__dict__)


def legacy_database(uri: str, client: Any = None, database: str | None = None) -> Any:
    """The legacy database handle (raw BSON documents where the client supports it)."""
    from bson.codec_options import CodecOptions
    from bson.raw_bson import RawBSONDocument

    name = database or database_from_uri(uri)
    if not name:
        raise SourceError(f"{redact(uri)}: no database named (put it in the URI path)")
    if client is None:
        client = MongoClient(uri, serverSelectionTimeoutMS=5000, tz_aware=True)
    try:
        options: CodecOptions[Any] = CodecOptions(document_class=RawBSONDocument, tz_aware=True)
        return client.get_database(name, codec_options=options)
    except NotImplementedError:  # in-process fakes (mongomock) hand out dicts
        return client.get_database(name)


def run_sync(
    url: DatabaseUrl,
    db: Any,
    *,
    follow: bool = False,
    mode: str = "auto",
    interval: float = 0.5,
    batch_size: int = 500,
    reconcile_seconds: float = 30.0,
    should_stop: Callable[[], bool] = lambda: False,
) -> SyncReport:
    """Sync until caught up (or, with `follow`, until `should_stop()`)."""
    report = SyncReport()
    with open_connection(url) as conn:
        with conn.transaction():
            CutoverRepository(conn).start()
        inbound = InboundSync(
            conn, db, mode=mode, batch_size=batch_size, reconcile_seconds=reconcile_seconds
        )
        outbound = OutboundSync(conn, db, batch_size=batch_size)
        try:
            try:
                inbound.open()
            except PyMongoError as exc:
                raise SourceError(f"MongoDB: {redact(str(exc)).splitlines()[0]}") from None
            while not should_stop():
                if not _in_progress(conn):  # `pmo cutover finish` ran meanwhile
                    break
                started = time.monotonic()
                got_in = inbound.step()
                got_out = outbound.step()
                report.passes += 1
                report.inbound_events += got_in
                report.outbound_writes += got_out
                if not (got_in or got_out):
                    if not follow:
                        break
                    time.sleep(max(0.0, interval - (time.monotonic() - started)))
        finally:
            inbound.close()
    return report


def _in_progress(conn: Any) -> bool:
    with conn.transaction():
        return bool(CutoverRepository(conn).owners())
