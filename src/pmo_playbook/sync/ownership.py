"""Who owns each module during a cut-over, and the checked switch / rollback / finish.

A switch (MongoDB -> PostgreSQL) waits until the sync has caught up with MongoDB for every
collection of the module AFTER the switch was asked for, and the module verifies clean against
MongoDB; a rollback (PostgreSQL -> MongoDB) waits until the module's outbox is empty and it
verifies clean. The owner then flips in one transaction that holds the module's row locked, so
a sync batch or an outbox batch is never half on each side of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg

from pmo_playbook.documents.registry import MODULES, Module, collection
from pmo_playbook.errors import Conflict, InvalidInput
from pmo_playbook.migration.sources.base import Source
from pmo_playbook.migration.verify.compare import verify_collection
from pmo_playbook.repositories.cutover import CutoverRepository


class ModuleNotOwned(Conflict):
    """A write to a module the other application owns during the cut-over (nothing written)."""

    code = "MODULE_NOT_OWNED"


def not_owned(module: str, owner: str) -> ModuleNotOwned:
    return ModuleNotOwned(
        f"the {module} module is owned by {owner} during the cut-over; write through the "
        "application that owns it",
        details={"module": module, "owner": owner},
    )


def refuse_unowned(conn: psycopg.Connection[Any], modules: tuple[str, ...]) -> None:
    """Raise ModuleNotOwned when MongoDB owns one of `modules` (no cut-over: never)."""
    for owner in CutoverRepository(conn).owners():
        if owner.module in modules and owner.owner != "postgresql":
            raise not_owned(owner.module, owner.owner)


@dataclass
class ModuleStatus:
    module: str
    owner: str
    lag_seconds: float | None  # None: the sync has not caught up once yet
    pending: int  # outbox entries (PostgreSQL-owned) not yet in MongoDB
    last_event_at: datetime | None
    collections: list[str] = field(default_factory=list)
    verify: str = "not run"

    def as_json(self) -> dict[str, Any]:
        return {
            "module": self.module, "owner": self.owner, "lag_seconds": self.lag_seconds,
            "pending": self.pending, "collections": self.collections, "verify": self.verify,
            "last_event_at": self.last_event_at.isoformat() if self.last_event_at else None,
        }  # fmt: skip


def module_status(conn: psycopg.Connection[Any]) -> list[ModuleStatus]:
    """Owner, lag and last event per module (empty: no cut-over in progress)."""
    repo = CutoverRepository(conn)
    positions = repo.positions()
    outbox = repo.outbox_lag()
    now = datetime.now(UTC)
    out = []
    for owner in repo.owners():
        mine = [p for p in positions.values() if p.module == owner.module]
        events = [p.last_event_at for p in mine if p.last_event_at]
        pending, oldest = outbox.get(owner.module, (0, None))
        if owner.owner == "postgresql":
            lag: float | None = (now - oldest).total_seconds() if oldest else 0.0
        else:
            caught = [p.caught_up_at for p in mine]
            known = mine and all(c is not None for c in caught) and all(p.loaded for p in mine)
            lag = max((now - c).total_seconds() for c in caught if c) if known else None
        out.append(
            ModuleStatus(
                owner.module,
                owner.owner,
                lag,
                pending,
                max(events, default=None),
                sorted(p.collection for p in mine),
            )
        )
    return out


def parse_targets(text: str) -> list[Module]:
    from pmo_playbook.sync.modules import parse_module

    return list(MODULES) if text.strip().lower() == "all" else [parse_module(text)]


def verify_module(conn: psycopg.Connection[Any], source: Source, module: str) -> list[str]:
    """Collections of `module` that do not verify clean against MongoDB (empty: clean)."""
    failing = []
    for col in source.collections():
        known = collection(col.name)
        if known is None or known.module != module:
            continue
        with conn.transaction():
            result = verify_collection(conn, source, col.name, known.spec)
        if not result.ok:
            failing.append(
                f"{col.name}: {result.missing_count} missing, {result.extra_count} extra, "
                f"{result.different_count} different, {len(result.quarantined)} quarantined"
            )
    return failing


def change_owner(
    conn: psycopg.Connection[Any],
    source: Source,
    module: str,
    to: str,
    *,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Flip `module` to `to` once the other side caught up and it verifies clean."""
    asked = datetime.now(UTC)
    deadline = time.monotonic() + timeout
    with conn.transaction():
        owners = {o.module: o.owner for o in CutoverRepository(conn).owners()}
    if not owners:
        raise InvalidInput("no cut-over in progress: start one with `pmo migrate sync`")
    if owners[module] == to:
        return
    while not _caught_up(conn, module, to, asked):
        if time.monotonic() > deadline:
            raise Conflict(
                f"{module}: the sync has not caught up within {timeout:g}s (is `pmo migrate "
                "sync --follow` running?); ownership unchanged",
                details={"module": module},
            )
        sleep(0.2)
    failing = verify_module(conn, source, module)
    if failing:
        raise Conflict(
            f"{module}: verify is not clean ({'; '.join(failing)}); ownership unchanged",
            details={"module": module, "failing": failing},
        )
    with conn.transaction():
        repo = CutoverRepository(conn)
        repo.lock_owners([module])
        if to == "mongodb" and repo.outbox_lag().get(module, (0, None))[0]:
            raise Conflict(f"{module}: writes arrived meanwhile; run the rollback again")
        repo.set_owner(module, to)


def _caught_up(conn: psycopg.Connection[Any], module: str, to: str, asked: datetime) -> bool:
    with conn.transaction():
        repo = CutoverRepository(conn)
        if to == "mongodb":
            return repo.outbox_lag().get(module, (0, None))[0] == 0
        mine = [p for p in repo.positions().values() if p.module == module]
        return all(p.loaded and p.caught_up_at and p.caught_up_at >= asked for p in mine)


def finish(conn: psycopg.Connection[Any], source: Source) -> None:
    """End the cut-over: every module owned by PostgreSQL, nothing pending, verify clean."""
    with conn.transaction():
        statuses = module_status(conn)
    if not statuses:
        raise InvalidInput("no cut-over in progress")
    left = [s.module for s in statuses if s.owner != "postgresql"]
    if left:
        raise Conflict(f"modules still owned by MongoDB: {', '.join(left)}; switch them first")
    pending = [s.module for s in statuses if s.pending]
    if pending:
        raise Conflict(f"writes not yet in MongoDB for: {', '.join(pending)}; let the sync run")
    for module in MODULES:
        failing = verify_module(conn, source, module)
        if failing:
            raise Conflict(f"{module}: verify is not clean ({'; '.join(failing)})")
    with conn.transaction():
        CutoverRepository(conn).finish()
