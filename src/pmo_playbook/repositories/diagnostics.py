"""SQL of the connection check (`pmo db check`)."""

from __future__ import annotations

import psycopg
from psycopg.types.json import Jsonb

from pmo_playbook.repositories.base import Repository

_IDENTITY = "SELECT current_database(), current_setting('server_version')"
_CREATE = "CREATE TEMPORARY TABLE pmo_check (id serial PRIMARY KEY, data jsonb NOT NULL)"
_INSERT = "INSERT INTO pmo_check (data) VALUES (%s)"
_READ = "SELECT data->>'test' FROM pmo_check LIMIT 1"
_DROP = "DROP TABLE pmo_check"
_SCHEMA_VERSION = """
SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN NULL
            ELSE (SELECT max(version) FROM schema_migrations) END
"""


class DiagnosticsRepository(Repository):
    """Queries that prove a connection can store and read JSONB."""

    def identity(self) -> tuple[str, str]:
        row = self.conn.execute(_IDENTITY).fetchone()
        assert row is not None
        return str(row[0]), str(row[1])

    def create_probe_table(self) -> None:
        self.conn.execute(_CREATE)

    def insert_probe(self, value: str) -> None:
        self.conn.execute(_INSERT, (Jsonb({"test": value}),))

    def read_probe(self) -> str | None:
        row = self.conn.execute(_READ).fetchone()
        return None if row is None else row[0]

    def drop_probe_table(self) -> None:
        self.conn.execute(_DROP)

    def schema_version(self) -> int | None:
        """Highest applied migration, or None when the schema was never created."""
        try:
            with self.conn.transaction():
                row = self.conn.execute(_SCHEMA_VERSION).fetchone()
        except psycopg.errors.UndefinedTable:
            return None
        return None if row is None or row[0] is None else int(row[0])
