"""Rows whose `_id` the source no longer has (deleted in MongoDB since the last run), and pruning.

A run records every `_id` it reads (`migration_run_documents`, run_guard.py). Once every
collection of the source is loaded, one anti-join per table finds the rows whose legacy_id the
run did not read: documents deleted in the legacy database after an earlier run (or rows
created in PostgreSQL itself — prune before the application goes live). `pmo migrate run
--prune` deletes them in ONE transaction, and only when the listing is complete: every
collection read to its end by this run, every document's `_id` readable. Tables that no source
collection maps to are never pruned (an absent collection is not proof of deletion).

The same listing finds the OPEN quarantine entries whose document the source no longer has
(quarantined, then deleted in MongoDB): they are reported beside the extras, and `--prune` closes
them ('gone from the source'; the document and its reason stay) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from pmo_playbook.documents.registry.columns import TableSpec
from pmo_playbook.errors import InvalidInput
from pmo_playbook.migration.load import quarantine

MAX_LISTED = 100


@dataclass
class TableGroup:
    """One target (a table, or one unmapped collection in legacy_documents) and its sources."""

    spec: TableSpec
    collections: list[str]

    @property
    def label(self) -> str:
        return self.spec.table if self.spec.scope_column is None else self.spec.legacy_name


@dataclass
class Extras:
    """Rows of one target whose legacy_id the source no longer has."""

    table: str
    collections: list[str]
    count: int = 0
    legacy_ids: list[str] = field(default_factory=list)  # the first MAX_LISTED, in row order
    # Per source collection: open quarantine entries whose document is gone from the source.
    gone_quarantined: dict[str, list[str]] = field(default_factory=dict)

    @property
    def anything(self) -> bool:
        """Whether --prune has something to do for this target."""
        return bool(self.count or any(self.gone_quarantined.values()))

    def as_json(self) -> dict[str, Any]:
        return {"table": self.table, "collections": self.collections, "count": self.count,
                "legacy_ids": self.legacy_ids,
                "gone_quarantined": self.gone_quarantined}  # fmt: skip


@dataclass
class PruneRequest:
    """`--prune`: delete the extras after the load (`confirm` sees them first), or only list."""

    dry_run: bool = False
    confirm: Callable[[list[Extras]], bool] = lambda extras: True


class PruneRefused(InvalidInput):
    """The source listing is incomplete: deleting rows from it could delete live data."""

    code = "PRUNE_REFUSED"


def group_targets(targets: list[tuple[str, TableSpec]]) -> list[TableGroup]:
    """(collection, spec) pairs grouped by target (aliases of one table share a group)."""
    groups: dict[tuple[str, str | None], TableGroup] = {}
    for collection, spec in targets:
        key = (spec.table, collection if spec.scope_column else None)
        groups.setdefault(key, TableGroup(spec, [])).collections.append(collection)
    return list(groups.values())


_HEADS = {
    "count": sql.SQL("SELECT count(*) FROM"),
    "ids": sql.SQL("SELECT t.legacy_id FROM"),
    "delete": sql.SQL("DELETE FROM"),
}
_WHERE = sql.SQL(
    "{head} {table} t WHERE t.legacy_id IS NOT NULL{scope} AND NOT EXISTS ("
    "SELECT 1 FROM migration_run_documents d WHERE d.run_id = %(run_id)s "
    "AND d.collection = ANY(%(collections)s) AND d.legacy_id = t.legacy_id){tail}"
)


def _statement(spec: TableSpec, what: str) -> sql.Composed:
    """Count, list (first ids in row order) or delete the rows the run did not read."""
    scope: sql.Composable = sql.SQL("")
    if spec.scope_column:
        scope = sql.SQL(" AND t.{} = %(scope)s").format(sql.Identifier(spec.scope_column))
    tail = sql.SQL(" ORDER BY t.id LIMIT %(limit)s" if what == "ids" else "")
    return _WHERE.format(
        head=_HEADS[what], table=sql.Identifier(spec.table), scope=scope, tail=tail
    )


def _params(run_id: int, group: TableGroup) -> dict[str, Any]:
    return {"run_id": run_id, "collections": group.collections, "scope": group.spec.legacy_name,
            "limit": MAX_LISTED}  # fmt: skip


def find_extras(
    conn: psycopg.Connection[Any], run_id: int, groups: list[TableGroup]
) -> list[Extras]:
    """Per target, the rows the run did not read (count and first ids); caller's transaction."""
    result = []
    for group in groups:
        params = _params(run_id, group)
        found = Extras(group.label, group.collections)
        count = conn.execute(_statement(group.spec, "count"), params).fetchone()
        found.count = int(count[0]) if count else 0
        if found.count:
            listed = conn.execute(_statement(group.spec, "ids"), params).fetchall()
            found.legacy_ids = [r[0] for r in listed]
        for collection in group.collections:
            if gone := quarantine.gone_ids(conn, run_id, collection):
                found.gone_quarantined[collection] = gone
        result.append(found)
    return result


def delete_extras(
    conn: psycopg.Connection[Any], run_id: int, groups: list[TableGroup]
) -> tuple[dict[str, int], int]:
    """Delete every target's extras and close the quarantine entries gone from the source
    (caller's transaction: all or nothing). Rows deleted per target, entries closed."""
    deleted, closed = {}, 0
    for group in groups:
        cur = conn.execute(_statement(group.spec, "delete"), _params(run_id, group))
        deleted[group.label] = cur.rowcount
        closed += sum(quarantine.resolve_gone(conn, run_id, c) for c in group.collections)
    return deleted, closed
