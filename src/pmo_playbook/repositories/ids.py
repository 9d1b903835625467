"""Atomic PRO-/SOP- numbers (D16) and the driver-error translation the SOP, project and
proposal repositories share.

Allocation is one UPDATE of the counter row (migration 0003): the row lock queues concurrent
creations, and GREATEST(counter, highest existing number) + 1 keeps counting after rows that
were imported or created with an explicit id.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from pmo_playbook.errors import Conflict, StorageError

_NEXT_PROJECT = """
UPDATE app_id_counters
   SET last_value = GREATEST(
           last_value,
           (SELECT coalesce(max(substring(project_id FROM 5)::bigint), 0) FROM projects)
       ) + 1
 WHERE name = 'project'
RETURNING last_value
"""
_NEXT_SOP = """
UPDATE app_id_counters
   SET last_value = GREATEST(
           last_value,
           (SELECT coalesce(max(substring(sop_id FROM 5)::bigint), 0) FROM human_sops),
           (SELECT coalesce(max(substring(sop_id FROM 5)::bigint), 0) FROM agent_sops)
       ) + 1
 WHERE name = 'sop'
RETURNING last_value
"""
_ENSURE = "INSERT INTO app_id_counters (name, last_value) VALUES (%s, 0) ON CONFLICT DO NOTHING"


@contextmanager
def storage_errors(what: str) -> Iterator[None]:
    """Translate driver errors: UniqueViolation → Conflict (naming the constraint), other
    psycopg errors → StorageError. The message names `what` and never carries SQL."""
    try:
        yield
    except psycopg.errors.UniqueViolation as exc:
        constraint = exc.diag.constraint_name or "unique key"
        raise Conflict(f"{what}: already exists", details={"constraint": constraint}) from exc
    except psycopg.errors.CheckViolation as exc:
        constraint = exc.diag.constraint_name or "check"
        raise StorageError(f"{what}: rejected by {constraint}") from exc
    except psycopg.Error as exc:
        raise StorageError(f"{what}: database error ({type(exc).__name__})") from exc


def format_number(prefix: str, number: int) -> str:
    """`PRO-007`, `PRO-1000`: at least three digits, never truncated."""
    return f"{prefix}-{number:03d}"


class IdRepository:
    """Hands out the next PRO-/SOP- number inside the caller's transaction."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def _next(self, name: str, statement: str) -> int:
        with storage_errors(f"allocating a {name} id"):
            row = self.conn.execute(statement).fetchone()
            if row is None:  # counter row deleted by hand: recreate it, then allocate
                self.conn.execute(_ENSURE, (name,))
                row = self.conn.execute(statement).fetchone()
        assert row is not None
        return int(row[0])

    def next_project_id(self) -> str:
        return format_number("PRO", self._next("project", _NEXT_PROJECT))

    def next_sop_id(self) -> str:
        return format_number("SOP", self._next("sop", _NEXT_SOP))
