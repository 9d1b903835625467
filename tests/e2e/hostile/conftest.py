"""Fixtures of the hostile-input tests: the demo data in a fresh database, an app over it with
real authentication, an admin API token, and digests of every demo table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from pmo_playbook.cli.demo import sample_data_dir
from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.load.run import migrate
from pmo_playbook.migration.mapping import SPECS
from pmo_playbook.migration.sources import open_source
from tests.e2e.auth.helpers import make_token, make_user
from tests.support.app import app_client

ADMIN_EMAIL = "admin@example.org"


def load_demo(url: DatabaseUrl) -> None:
    """The packaged sample legacy database, migrated as `pmo demo` does."""
    report = migrate(url, open_source(str(sample_data_dir()), format="mongoexport"))
    assert report.ok, report


def table_digests(url: DatabaseUrl) -> dict[str, tuple[int, str]]:
    """Row count and an md5 over every row (ordered by primary key) of each demo table."""
    out: dict[str, tuple[int, str]] = {}
    with psycopg.connect(url.raw) as conn:
        for spec in SPECS:
            query = psycopg.sql.SQL(
                "SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')"
                " FROM {} AS t"
            ).format(psycopg.sql.Identifier(spec.table))
            row = conn.execute(query).fetchone()
            assert row is not None
            out[spec.table] = (int(row[0]), str(row[1]))
    return out


@pytest.fixture
def demo_url(db_url: DatabaseUrl) -> DatabaseUrl:
    """A fresh database holding the demo data."""
    load_demo(db_url)
    return db_url


@pytest.fixture
def admin_token(demo_url: DatabaseUrl) -> str:
    """A committed admin user and a raw API token of theirs."""
    make_user(demo_url, ADMIN_EMAIL, role="admin")
    return make_token(demo_url, ADMIN_EMAIL)


@pytest.fixture
def client(demo_url: DatabaseUrl, tmp_path: Path) -> Iterator[TestClient]:
    """The app over the demo data, authentication as in production."""
    with app_client(demo_url, tmp_path) as test_client:
        yield test_client


@pytest.fixture
def admin(client: TestClient, admin_token: str) -> TestClient:
    """The same client, sending the admin's Bearer token on every request."""
    client.headers["Authorization"] = f"Bearer {admin_token}"
    return client
