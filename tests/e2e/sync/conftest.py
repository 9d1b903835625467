"""Fixtures of the live-sync tests: the nx-27017 stand-in and per-document comparisons.

nx-27017 is a MongoDB wire-protocol server over SQLite (PyPI), driven with the real pymongo
driver: no mongod can be installed on these machines. It is started with --threaded so a
change stream can wait while other clients write, and it supports change streams.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bson
import psycopg
import pytest
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.documents.registry import collection
from pmo_playbook.migration.codec.rowcodec import RowCodec
from pmo_playbook.repositories.sync_rows import SyncRowRepository
from tests.support.nx import running_nx

RAW = CodecOptions(document_class=RawBSONDocument, tz_aware=True)


@pytest.fixture
def nx(tmp_path: Path) -> Iterator[str]:
    """A fresh nx-27017 (in memory, --threaded); its URI names the database `legacy`."""
    with running_nx(tmp_path, threaded=True) as uri:
        yield uri + "/legacy"


def mongo_documents(db: Any, name: str) -> dict[str, bytes]:
    """legacy_id -> the document's bytes as MongoDB holds it now."""
    codec = RowCodec(name, _spec(name))
    raw_db = db.client.get_database(db.name, codec_options=RAW)
    out = {}
    for doc in raw_db[name].find({}):
        lid = codec.legacy_id_of(doc.raw)
        assert lid is not None
        out[lid] = bytes(doc.raw)
    return out


def postgres_documents(url: DatabaseUrl, name: str) -> dict[str, bytes]:
    """legacy_id -> the row decoded by the reverse export's codec (what the application reads)."""
    spec = _spec(name)
    codec = RowCodec(name, spec)
    with psycopg.connect(url.raw) as conn:
        repo = SyncRowRepository(conn, spec)
        rows = repo.current(sorted(repo.all_ids()))
    return {lid: codec.decode(lid, data, notes) for lid, (data, notes) in rows.items()}


def row_count(url: DatabaseUrl, table: str) -> int:
    with psycopg.connect(url.raw) as conn:
        row = conn.execute(
            psycopg.sql.SQL("SELECT count(*) FROM {}").format(psycopg.sql.Identifier(table))
        ).fetchone()
    return int(row[0]) if row else 0


def decoded(raw: bytes) -> dict[str, Any]:
    return bson.decode(raw, codec_options=CodecOptions(tz_aware=True))


def _spec(name: str) -> Any:
    found = collection(name)
    assert found is not None
    return found.spec
