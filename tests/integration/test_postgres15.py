"""The schema must run on PostgreSQL 15 (Neon runs 15–17) as well as 18."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from pmo_playbook.db import schema
from tests.support.pg import DEBIAN_PG15_BIN, TestServer, start_cluster


@pytest.fixture(scope="module")
def pg15(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestServer]:
    if not (DEBIAN_PG15_BIN / "initdb").exists():
        pytest.fail(
            f"PostgreSQL 15 binaries not found in {DEBIAN_PG15_BIN} (scripts/test.sh installs them)"
        )
    base = Path("/tmp") / f"pmo-test-{os.getpid()}"
    base.mkdir(parents=True, exist_ok=True)
    cluster = start_cluster(base / "pg15", bin_dir=DEBIAN_PG15_BIN, system_user="postgres")
    yield TestServer(cluster)
    cluster.destroy()


def test_migrations_apply_on_postgres_15(pg15: TestServer) -> None:
    name = pg15.create_database()
    with psycopg.connect(pg15.url(name).raw, autocommit=True) as conn:
        assert conn.info.server_version // 10000 == 15
        result = schema.apply_migrations(conn)
        assert len(result.pending) == len(schema.discover_migrations())
        conn.execute("INSERT INTO projects (project_id, data) VALUES ('PRO-1000', '{}')")
        assert schema.apply_migrations(conn).pending == []
