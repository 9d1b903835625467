"""The columns verification checks beyond `data`: a reference (by join) and `updated_at`.

A reference column (the registry's `Reference`: `agent_sops.human_sop_id`) is resolved by a
join at load time, so it cannot be re-derived from the document alone: the row's value must be
the id of the target row whose legacy_id is the document's field (`humanSopId`), or NULL when
no such row exists (a dangling reference). One query per chunk checks it set-based.

`updated_at` is derived from `updatedAt` (history entries: `createdAt`) but the application and
the `updated_at` trigger move it afterwards; a difference is reported as drift, not a failure.
Both are derived from the row's `data`, which the caller compares with the source separately.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from pmo_playbook.documents.registry.columns import Rejected, TableSpec

MAX_DRIFT = 100


def _query(spec: TableSpec) -> sql.Composed:
    """(legacy_id, updated_at[, fk column, expected id, legacy_id it points at]) per id."""
    ref = spec.reference
    if ref is not None:
        return sql.SQL(
            "SELECT t.legacy_id, t.updated_at, t.{fk}, e.id, h.legacy_id "
            "FROM unnest(%(ids)s::text[], %(refs)s::text[]) AS i(legacy_id, ref) "
            "JOIN {table} t ON t.legacy_id = i.legacy_id "
            "LEFT JOIN {target} e ON e.legacy_id = i.ref LEFT JOIN {target} h ON h.id = t.{fk}"
        ).format(
            fk=sql.Identifier(ref.column),
            table=sql.Identifier(spec.table),
            target=sql.Identifier(ref.target_table),
        )
    scope: sql.Composable = sql.SQL("")
    if spec.scope_column:
        scope = sql.SQL(" AND t.{} = %(collection)s").format(sql.Identifier(spec.scope_column))
    return sql.SQL(
        "SELECT t.legacy_id, t.updated_at FROM {} t WHERE t.legacy_id = ANY(%(ids)s){}"
    ).format(sql.Identifier(spec.table), scope)


def _derived_updated_at(spec: TableSpec, data: Any, legacy_id: str) -> datetime | None:
    if not isinstance(data, dict) or "updated_at" not in spec.column_names:
        return None
    try:
        value = spec.extract(data, legacy_id)[spec.column_names.index("updated_at")]
    except Rejected:
        return None
    return value if isinstance(value, datetime) else None


def check_columns(
    conn: psycopg.Connection[Any],
    spec: TableSpec,
    collection: str,
    data_by_id: dict[str, Any],
    drift: list[dict[str, Any]],
) -> tuple[dict[str, list[str]], int]:
    """Differing reference columns per legacy_id (as paths), and how many rows drift on
    `updated_at`.

    `data_by_id` is the stored `data` of each row found (legacy_id → data); the first drifting
    rows are appended to `drift` (up to MAX_DRIFT in all).
    """
    ids = list(data_by_id)
    if not ids:
        return {}, 0
    ref = spec.reference
    refs = [
        ref.legacy_id(d) if ref is not None and isinstance(d, dict) else None
        for d in data_by_id.values()
    ]
    params = {"ids": ids, "refs": refs, "collection": collection}
    paths: dict[str, list[str]] = {}
    drifting = 0
    for row in conn.execute(_query(spec), params).fetchall():
        legacy_id, updated_at = row[0], row[1]
        expected = _derived_updated_at(spec, data_by_id[legacy_id], legacy_id)
        if expected is not None and updated_at != expected:
            drifting += 1
        if expected is not None and updated_at != expected and len(drift) < MAX_DRIFT:
            drift.append({"_id": legacy_id, "row": updated_at.isoformat(),
                          "document": expected.isoformat()})  # fmt: skip
        if ref is not None and row[2] != row[3]:
            points_at = row[4] if row[4] is not None else "nothing"
            paths[legacy_id] = [
                f"column {ref.column} (points at {points_at}, document's {ref.field} "
                f"{'resolves to another row' if row[3] is not None else 'is dangling'})"
            ]
    return paths, drifting
