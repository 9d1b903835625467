"""The schema must run on PostgreSQL 15 (Neon runs 15–17) as well as 18."""

from __future__ import annotations

import psycopg

from pmo_playbook.db import schema
from tests.support.pg import TestServer


def test_migrations_apply_on_postgres_15(pg15: TestServer) -> None:
    name = pg15.create_database()
    with psycopg.connect(pg15.url(name).raw, autocommit=True) as conn:
        assert conn.info.server_version // 10000 == 15
        result = schema.apply_migrations(conn)
        assert len(result.pending) == len(schema.discover_migrations())
        conn.execute("INSERT INTO projects (project_id, data) VALUES ('PRO-1000', '{}')")
        assert schema.apply_migrations(conn).pending == []
