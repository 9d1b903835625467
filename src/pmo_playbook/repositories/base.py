"""What every repository shares: the caller's connection, statements that return rows as dicts,
and the one translation of driver errors into the project's errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from pmo_playbook.errors import Conflict, PmoError, StorageError

Query = str | sql.SQL | sql.Composed


@contextmanager
def storage_errors(what: str) -> Iterator[None]:
    """Driver errors → the project's errors, naming `what` and never the SQL or the values:
    a duplicate key is a Conflict (409) with the constraint in its details, a CHECK refusal and
    any other driver error a StorageError. The driver's error stays the cause, so a lost
    connection is still told apart from a refused statement (a 503, not a 500)."""
    try:
        yield
    except PmoError:
        raise
    except psycopg.errors.UniqueViolation as exc:
        constraint = exc.diag.constraint_name or "unique key"
        raise Conflict(f"{what}: already exists", details={"constraint": constraint}) from exc
    except psycopg.errors.CheckViolation as exc:
        constraint = exc.diag.constraint_name or "check"
        raise StorageError(f"{what}: rejected by {constraint}") from exc
    except psycopg.Error as exc:
        raise StorageError(f"{what} failed: {type(exc).__name__}") from exc


class Repository:
    """One table's SQL over the caller's connection. Repositories never commit: the caller's
    transaction decides."""

    subject: ClassVar[str] = "storage"  # what error messages call this repository's rows

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def _execute(
        self, query: Query, params: Any = None, *, what: str | None = None
    ) -> psycopg.Cursor[Any]:
        with storage_errors(what or self.subject):
            return self.conn.execute(query, params)

    def _dicts(
        self, query: Query, params: Any = None, *, what: str | None = None
    ) -> list[dict[str, Any]]:
        """Every row as a dict (none for a statement that returns no rows)."""
        with storage_errors(what or self.subject), self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else []

    def _dict(
        self, query: Query, params: Any = None, *, what: str | None = None
    ) -> dict[str, Any] | None:
        """The first row as a dict, or None."""
        with storage_errors(what or self.subject), self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query, params)
            return cur.fetchone() if cur.description else None
