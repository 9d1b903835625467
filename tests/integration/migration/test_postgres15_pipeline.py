"""Gap 2: every migration (0002's toolkit tables and 0006 included) applies on Debian's
PostgreSQL 15, and the shared legacy dump migrates and verifies there (loader on 15).

Source: the shared fixture dump (mongodump folder); PostgreSQL 15 from /usr/lib/postgresql/15.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from pmo_playbook.db import schema
from pmo_playbook.migration.load.loader import LoadOptions
from pmo_playbook.migration.load.run import migrate
from pmo_playbook.migration.sources import open_source
from pmo_playbook.migration.verify.compare import verify
from tests.support.pg import TestServer


def test_shared_dump_migrates_and_verifies_on_postgres_15(
    pg15: TestServer, fixtures_dir: Path
) -> None:
    name = pg15.create_database()
    url = pg15.url(name)
    with psycopg.connect(url.raw, autocommit=True) as conn:
        assert conn.info.server_version // 10000 == 15
        applied = schema.apply_migrations(conn)
        assert [m.version for m in applied.pending] == [
            m.version for m in schema.discover_migrations()
        ]
    dump = fixtures_dir / "legacy-mongo" / "dump"
    report = migrate(url, open_source(str(dump)), LoadOptions(batch_size=50))
    assert report.ok, report.as_json()
    assert {c.collection: c.row_count for c in report.collections}["chat_histories"] == 200
    assert verify(url, open_source(str(dump))).ok
    again = migrate(url, open_source(str(dump)))
    assert again.ok and not again.changed
