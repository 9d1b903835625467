"""Module ownership during a cut-over, as the application sees it.

The check itself is one place for every write path: the capture trigger installed on the nine
legacy tables while a cut-over is in progress (db/migrations/0014_cutover.sql) refuses a
write to a module MongoDB owns with SQLSTATE P0M01, and the transaction aborts, so nothing of
the request is written. `module_not_owned` turns that refusal into `ModuleNotOwned` (409,
naming the module and its owner) at the edge that owns the transaction (the request's
connection dependency, the CLI). Without a cut-over no trigger exists and nothing changes.
"""

from __future__ import annotations

from typing import Any

import psycopg

from pmo_playbook.documents.registry import Module
from pmo_playbook.errors import ModuleNotOwned
from pmo_playbook.repositories.cutover import CutoverRepository
from pmo_playbook.sync.modules import modules_for_path

NOT_OWNED_SQLSTATE = "P0M01"


def not_owned(module: str, owner: str) -> ModuleNotOwned:
    """The 409 for a write to `module`, which `owner` owns."""
    return ModuleNotOwned(
        f"The {module} module is owned by {owner} during the cut-over: this application "
        f"serves it read-only; write through the {owner} application.",
        details={"module": module, "owner": owner},
    )


def module_not_owned(exc: BaseException) -> ModuleNotOwned | None:
    """The ModuleNotOwned behind `exc` (the trigger's refusal, possibly wrapped by a
    repository as StorageError), or None when `exc` is something else."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, ModuleNotOwned):
            return seen
        if isinstance(seen, psycopg.Error) and seen.sqlstate == NOT_OWNED_SQLSTATE:
            module = seen.diag.message_detail or "unknown"
            return not_owned(module, seen.diag.message_hint or "mongodb")
        seen = seen.__cause__ or seen.__context__
    return None


def owns(conn: psycopg.Connection[Any], module: Module) -> bool:
    """Whether this application may write `module` now (always, without a cut-over)."""
    return CutoverRepository(conn).owner_of(module) in (None, "postgresql")


def owners(conn: psycopg.Connection[Any]) -> dict[str, str]:
    """Module -> owner while a cut-over is in progress (empty: this application owns all)."""
    return {o.module: o.owner for o in CutoverRepository(conn).owners()}


def not_owned_modules(conn: psycopg.Connection[Any]) -> dict[str, str]:
    """Module -> owner of the modules this application does NOT own now (empty: owns all)."""
    return {m: o for m, o in owners(conn).items() if o != "postgresql"}


def refuse_unowned_write(conn: psycopg.Connection[Any], path: str, reading: bool) -> dict[str, str]:
    """The modules this application does not own; raises ModuleNotOwned when the request is a
    write to `path` and `path` changes one of them (nothing of the request has run yet)."""
    foreign = not_owned_modules(conn)
    if not reading:
        for module in modules_for_path(path):
            if module in foreign:
                raise not_owned(module, foreign[module])
    return foreign
