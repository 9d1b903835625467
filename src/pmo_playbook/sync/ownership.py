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
from pmo_playbook.migration.verify.compare import CollectionVerification, verify_collection
from pmo_playbook.repositories.cutover import CutoverRepository
from pmo_playbook.sync.modules import parse_module


@dataclass
class ModuleStatus:
    module: str
    owner: str
    lag_seconds: float | None  # None: the sync has not caught up once yet
    pending: int  # outbox entries (PostgreSQL-owned) not yet in MongoDB
    last_event_at: datetime | None
    collections: list[str] = field(default_factory=list)
    verify: str = "not run"
    verified_at: datetime | None = None
    desired: str | None = None  # USE_POSTGRES_<MODULE>, when set

    def as_json(self) -> dict[str, Any]:
        return {
            "module": self.module, "owner": self.owner, "desired": self.desired,
            "lag_seconds": self.lag_seconds, "pending": self.pending,
            "collections": self.collections, "verify": self.verify,
            "verified_at": self.verified_at.isoformat() if self.verified_at else None,
            "last_event_at": self.last_event_at.isoformat() if self.last_event_at else None,
        }  # fmt: skip


def module_status(
    conn: psycopg.Connection[Any], desired: dict[str, str] | None = None
) -> list[ModuleStatus]:
    """Owner, lag, last event and verify state per module (empty: no cut-over in progress).

    Lag of a MongoDB-owned module: seconds since the sync last found none of its collections
    with a change pending (None until every collection was loaded and caught up once); of a
    PostgreSQL-owned module: the age of its oldest write not yet applied to MongoDB (0: none).
    """
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
            lag: float | None = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
        else:
            caught = [p.caught_up_at for p in mine]
            known = all(c is not None for c in caught) and all(p.loaded for p in mine)
            lag = max((max(0.0, (now - c).total_seconds()) for c in caught if c), default=0.0)
            lag = lag if known else None
        out.append(
            ModuleStatus(
                owner.module, owner.owner, lag, pending, max(events, default=None),
                sorted(p.collection for p in mine), owner.verify_state or "not run",
                owner.verified_at, (desired or {}).get(owner.module),
            )
        )  # fmt: skip
    return out


def parse_targets(text: str) -> list[Module]:
    """`all` or one module name (InvalidInput naming the choices otherwise)."""
    return list(MODULES) if text.strip().lower() == "all" else [parse_module(text)]


@dataclass
class ModuleVerification:
    """One module compared against its owner's side, through the migration's codec.

    `verify_collection` reads MongoDB (the source) and compares each document with its row.
    For a MongoDB-owned module MongoDB is the reference: a document without a row is missing
    in PostgreSQL. For a PostgreSQL-owned module PostgreSQL is: a row without a document is
    missing in MongoDB, a document without a row is extra there."""

    module: str
    owner: str
    collections: list[CollectionVerification] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.collections)

    @property
    def differences(self) -> int:
        return sum(
            c.missing_count + c.extra_count + c.different_count + c.duplicate_count
            + len(c.quarantined)
            for c in self.collections
        )  # fmt: skip

    def first_ids(self, limit: int = 5) -> list[str]:
        """The first differing ids (legacy `_id` text), differing documents first."""
        ids: list[str] = []
        for c in self.collections:
            ids += [str(d["_id"]) for d in c.different] + c.missing + c.extra + c.quarantined
        return list(dict.fromkeys(ids))[:limit]

    def findings(self) -> list[str]:
        return [_finding(r, self.owner) for r in self.collections if not r.ok]

    def summary(self) -> str:
        """`clean`, or `N differences (first: id, id)`: the line status and verify print."""
        if self.ok:
            return "clean"
        first = ", ".join(self.first_ids())
        return f"{self.differences} difference(s)" + (f" (first: {first})" if first else "")

    def as_json(self) -> dict[str, Any]:
        return {
            "module": self.module, "owner": self.owner, "ok": self.ok,
            "differences": self.differences, "first_ids": self.first_ids(),
            "findings": self.findings(),
            "collections": {c.collection: c.as_json() for c in self.collections},
        }  # fmt: skip


def verify_module(conn: psycopg.Connection[Any], source: Source, module: str) -> ModuleVerification:
    """Compare every collection of `module` in `source` with its rows; record the outcome."""
    with conn.transaction():
        owner = CutoverRepository(conn).owner_of(module) or "postgresql"
    result = ModuleVerification(module, owner)
    for col in source.collections():
        known = collection(col.name)
        if known is None or known.module != module:
            continue
        with conn.transaction():
            result.collections.append(verify_collection(conn, source, col.name, known.spec))
    state = result.summary()
    if not result.ok:
        state += ": " + "; ".join(result.findings())
    with conn.transaction():
        CutoverRepository(conn).record_verify(module, state)
    return result


def _finding(r: CollectionVerification, owner: str = "mongodb") -> str:
    paths = sorted({p for d in r.different[:5] for p in d["paths"]})
    if owner == "postgresql":  # PostgreSQL is the reference: what MongoDB lacks or has extra
        gaps = f"{r.extra_count} missing in MongoDB, {r.missing_count} extra in MongoDB"
    else:
        gaps = f"{r.missing_count} missing, {r.extra_count} extra"
    return (
        f"{r.collection}: {gaps}, {r.different_count} different, "
        f"{len(r.quarantined)} quarantined" + (f" (differing: {', '.join(paths)})" if paths else "")
    )


def change_owner(
    conn: psycopg.Connection[Any],
    source: Source,
    module: str,
    to: str,
    *,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Flip `module` to `to` once the other side caught up and it verifies clean.

    True when the owner changed, False when `to` already owned it. Conflict (ownership
    unchanged) when the sync does not catch up within `timeout` or verify is not clean.
    """
    asked = datetime.now(UTC)
    deadline = time.monotonic() + timeout
    with conn.transaction():
        owners = {o.module: o.owner for o in CutoverRepository(conn).owners()}
    if not owners:
        raise InvalidInput("no cut-over in progress: start one with `pmo migrate sync`")
    if owners[module] == to:
        return False
    while not _caught_up(conn, module, to, asked):
        if time.monotonic() > deadline:
            raise Conflict(
                f"{module}: the sync has not caught up within {timeout:g}s (is `pmo migrate "
                "sync --follow` running?); ownership unchanged",
                details={"module": module},
            )
        sleep(0.2)
    failing = verify_module(conn, source, module).findings()
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
    return True


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
        failing = verify_module(conn, source, module).findings()
        if failing:
            raise Conflict(f"{module}: verify is not clean ({'; '.join(failing)})")
    with conn.transaction():
        CutoverRepository(conn).finish()
