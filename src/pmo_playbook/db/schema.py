"""The schema migration runner.

Migrations are the numbered `.sql` files in `db/migrations/`. The runner records version, name,
checksum and time in `schema_migrations`, takes a transaction-level advisory lock (safe behind
transaction poolers), applies every pending file in one transaction, refuses an applied file
whose checksum changed, and can describe what it would do without executing anything.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any

import psycopg
from psycopg import sql

from pmo_playbook.errors import Conflict

_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
_CREATED = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:UNLOGGED\s+)?(?P<kind>TABLE|FUNCTION|SEQUENCE|TYPE|VIEW)"
    r"\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>[a-z_][a-z0-9_]*)",
    re.IGNORECASE | re.MULTILINE,
)
# A constant key for pg_advisory_xact_lock: "pmo-schema" as a signed 64-bit number.
_LOCK_KEY = int.from_bytes(hashlib.sha256(b"pmo-schema").digest()[:8], "big", signed=True)

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""
_SELECT_APPLIED = (
    "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"
)
_INSERT_APPLIED = "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)"
_LEDGER_EXISTS = "SELECT to_regclass('schema_migrations') IS NOT NULL"
_CATALOG = """
SELECT 'table', c.relname, c.relname FROM pg_class c
 WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
UNION ALL
SELECT 'index', i.relname, t.relname FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
 WHERE t.relnamespace = current_schema()::regnamespace
UNION ALL
SELECT 'trigger', g.tgname, t.relname FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
 WHERE NOT g.tgisinternal AND t.relnamespace = current_schema()::regnamespace
UNION ALL
SELECT 'function', p.proname, '' FROM pg_proc p
 WHERE p.pronamespace = current_schema()::regnamespace
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT 'extension', e.extname, '' FROM pg_extension e
"""


class MigrationError(Conflict):
    """The migrations on disk and in the database disagree."""

    code = "MIGRATION_CONFLICT"


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    sql_text: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql_text.encode("utf-8")).hexdigest()

    @property
    def filename(self) -> str:
        return f"{self.version:04d}_{self.name}.sql"


@dataclass(frozen=True)
class AppliedMigration:
    """A row of schema_migrations."""

    version: int
    name: str
    checksum: str
    applied_at: datetime


@dataclass(frozen=True)
class SchemaObject:
    """A table, index, trigger, function or extension in the schema."""

    kind: str
    name: str
    table: str


@dataclass
class ApplyResult:
    """What `apply_migrations` did (or, in a dry run, would do)."""

    pending: list[Migration]
    dry_run: bool
    created: list[SchemaObject] = field(default_factory=list)


def discover_migrations() -> list[Migration]:
    """All migration files shipped in the package, by version."""
    found: list[Migration] = []
    folder = resources.files("pmo_playbook.db.migrations")
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(
                Migration(int(match["version"]), match["name"], entry.read_text(encoding="utf-8"))
            )
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(versions) != len(set(versions)):
        raise MigrationError("two migration files share a version number")
    return found


def applied_migrations(conn: psycopg.Connection[Any]) -> list[AppliedMigration]:
    """Rows of schema_migrations (empty when the ledger does not exist yet)."""
    row = conn.execute(_LEDGER_EXISTS).fetchone()
    if not row or not row[0]:
        return []
    return [AppliedMigration(*r) for r in conn.execute(_SELECT_APPLIED).fetchall()]


def _check_consistency(
    available: list[Migration], applied: list[AppliedMigration]
) -> list[Migration]:
    """Refuse edited applied files; return the pending migrations."""
    by_version = {m.version: m for m in available}
    for done in applied:
        mine = by_version.get(done.version)
        if mine is None:
            continue  # applied by a newer release: leave it alone
        if mine.checksum != done.checksum:
            raise MigrationError(
                f"migration {mine.filename} was edited after it was applied "
                f"(checksum {done.checksum[:12]} in the database, {mine.checksum[:12]} on disk); "
                "add a new migration instead",
                details={"version": mine.version},
            )
    applied_versions = {a.version for a in applied}
    return [m for m in available if m.version not in applied_versions]


def _catalog(conn: psycopg.Connection[Any]) -> set[SchemaObject]:
    return {SchemaObject(*row) for row in conn.execute(_CATALOG).fetchall()}


def pending_migrations(conn: psycopg.Connection[Any]) -> list[Migration]:
    """Migrations not yet applied (raises on edited applied files). Executes no DDL."""
    return _check_consistency(discover_migrations(), applied_migrations(conn))


def apply_migrations(conn: psycopg.Connection[Any], *, dry_run: bool = False) -> ApplyResult:
    """Apply every pending migration in one transaction under an advisory lock.

    The caller passes a connection outside any transaction; this function owns the commit
    (it is the schema's unit of work). A dry run reads the ledger and executes nothing else.
    """
    if dry_run:
        return ApplyResult(pending=pending_migrations(conn), dry_run=True)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute(_CREATE_LEDGER)
        pending = pending_migrations(conn)
        if not pending:
            return ApplyResult(pending=[], dry_run=False)
        before = _catalog(conn)
        for migration in pending:
            conn.execute(migration.sql_text.encode("utf-8"))
            conn.execute(_INSERT_APPLIED, (migration.version, migration.name, migration.checksum))
        after = _catalog(conn)
    created = sorted(after - before, key=lambda o: (o.table, o.kind != "table", o.kind, o.name))
    return ApplyResult(pending=pending, dry_run=False, created=created)


def schema_version(conn: psycopg.Connection[Any]) -> int | None:
    """The highest applied migration version, or None for an empty database."""
    applied = applied_migrations(conn)
    return applied[-1].version if applied else None


def managed_objects() -> list[tuple[str, str]]:
    """(kind, name) of every table, view, sequence, type and function the migrations create."""
    seen: dict[tuple[str, str], None] = {}
    for migration in discover_migrations():
        for match in _CREATED.finditer(migration.sql_text):
            seen[(match["kind"].upper(), match["name"].lower())] = None
    seen[("TABLE", "schema_migrations")] = None
    return list(seen)


def existing_managed_objects(conn: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    """The managed objects that exist in the current schema, in drop order."""
    present = {(o.kind.upper(), o.name) for o in _catalog(conn)}
    rel = conn.execute(
        "SELECT relname, relkind FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
    ).fetchall()
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "VIEW", "S": "SEQUENCE"}
    present |= {(kinds.get(k, "?"), n) for n, k in rel}
    types = conn.execute(
        "SELECT typname FROM pg_type WHERE typnamespace = current_schema()::regnamespace"
    ).fetchall()
    present |= {("TYPE", t) for (t,) in types}
    order = {"VIEW": 0, "TABLE": 1, "SEQUENCE": 2, "FUNCTION": 3, "TYPE": 4}
    wanted = [obj for obj in managed_objects() if obj in present]
    return sorted(wanted, key=lambda o: (order.get(o[0], 9), o[1]))


def drop_schema(conn: psycopg.Connection[Any], *, dry_run: bool = False) -> list[tuple[str, str]]:
    """Drop what the migrations created (the seed's Phase 1–2 rollback), in one transaction."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        objects = existing_managed_objects(conn)
        if dry_run:
            return objects
        for kind, name in objects:
            stmt = sql.SQL("DROP {kind} IF EXISTS {name} CASCADE").format(
                kind=sql.SQL(kind), name=sql.Identifier(name)
            )
            conn.execute(stmt)
    return objects
