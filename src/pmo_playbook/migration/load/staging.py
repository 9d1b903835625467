"""The set-based SQL of one batch: staging table, COPY, conflicts, upsert, read-back.

Every statement is built from a `TableSpec` with `psycopg.sql` (identifiers quoted, values
bound). The staging table is a TEMP table dropped at COMMIT, so each batch is self-contained and
safe behind a transaction pooler.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql
from psycopg.adapt import Dumper
from psycopg.pq import Format

from pmo_playbook.documents.registry.columns import Reference, TableSpec

STAGE = sql.Identifier("pmo_stage")
JSONB_OID = 3802
_BASE = (
    ("ord", "integer"),
    ("legacy_id", "text"),
    ("data", "jsonb"),
    ("bson_annotations", "jsonb"),
)


class JsonbText(bytes):
    """Marker type: JSON text already serialized by the codec (COPYed without re-dumping)."""


class JsonbTextDumper(Dumper):
    """Binary jsonb from JSON text: version byte 1, then the text (PostgreSQL parses it)."""

    format = Format.BINARY
    oid = JSONB_OID

    def dump(self, obj: Any) -> bytes:
        return b"\x01" + bytes(obj)


def stage_columns(spec: TableSpec) -> list[tuple[str, str]]:
    """(name, type) of the staging table, in COPY order."""
    return [*_BASE, *((c.name, c.pg_type) for c in spec.columns)]


def create_stage(spec: TableSpec) -> sql.Composed:
    cols = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t in stage_columns(spec)
    )
    return sql.SQL("CREATE TEMP TABLE {} ({}) ON COMMIT DROP").format(STAGE, cols)


def copy_stage(spec: TableSpec) -> sql.Composed:
    names = sql.SQL(", ").join(sql.Identifier(n) for n, _ in stage_columns(spec))
    return sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(STAGE, names)


def _key_match(spec: TableSpec, key: tuple[str, ...]) -> sql.Composable:
    parts = []
    for col in key:
        t, s = sql.Identifier("t", col), sql.Identifier("s", col)
        if col in spec.lower_keys:
            parts.append(sql.SQL("lower({}) = lower({})").format(t, s))
        else:
            parts.append(sql.SQL("{} = {}").format(t, s))
    return sql.SQL(" AND ").join(parts)


def delete_conflicts(spec: TableSpec, key: tuple[str, ...]) -> sql.Composed:
    """Remove staged rows whose natural key another legacy_id already holds; name both."""
    return sql.SQL(
        "DELETE FROM {stage} s USING {table} t WHERE {match} "
        "AND t.legacy_id IS DISTINCT FROM s.legacy_id RETURNING s.ord, t.legacy_id"
    ).format(stage=STAGE, table=sql.Identifier(spec.table), match=_key_match(spec, key))


def count_dangling(reference: Reference) -> sql.Composed:
    """Staged rows whose reference points at no row of the target table."""
    return sql.SQL(
        "SELECT count(*) FROM {stage} s WHERE s.{ref} IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM {target} h WHERE h.legacy_id = s.{ref})"
    ).format(
        stage=STAGE,
        ref=sql.Identifier(reference.staged_column),
        target=sql.Identifier(reference.target_table),
    )


def _resolve(reference: Reference) -> sql.Composed:
    """The target row's id for the staged legacy id (NULL when it points at nothing)."""
    return sql.SQL("(SELECT h.id FROM {target} h WHERE h.legacy_id = s.{ref})").format(
        target=sql.Identifier(reference.target_table), ref=sql.Identifier(reference.staged_column)
    )


def _target_columns(spec: TableSpec) -> list[str]:
    ref = spec.reference
    names = [n for n in spec.column_names if ref is None or n != ref.staged_column]
    if ref is not None:
        names.append(ref.column)
    return ["legacy_id", "data", "bson_annotations", *names]


def upsert(spec: TableSpec) -> sql.Composed:
    """One INSERT ... SELECT ... ON CONFLICT DO UPDATE WHERE <row differs> for the batch.

    RETURNING (xmax = 0) tells inserted (true) from updated (false); unchanged rows return
    nothing, so unchanged = staged - returned.
    """
    target = _target_columns(spec)
    table = sql.Identifier(spec.table)
    selects: list[sql.Composable] = []
    for name in target:
        if spec.reference is not None and name == spec.reference.column:
            selects.append(_resolve(spec.reference))
        else:
            selects.append(sql.Identifier("s", name))
    updated = [n for n in target if n not in spec.conflict_target]
    return sql.SQL(
        "INSERT INTO {table} AS t ({cols}) SELECT {selects} FROM {stage} s ORDER BY s.ord "
        "ON CONFLICT ({conflict}) DO UPDATE SET {sets} "
        "WHERE ({old}) IS DISTINCT FROM ({new}) RETURNING (t.xmax = 0)"
    ).format(
        table=table,
        cols=sql.SQL(", ").join(map(sql.Identifier, target)),
        selects=sql.SQL(", ").join(selects),
        stage=STAGE,
        conflict=sql.SQL(", ").join(map(sql.Identifier, spec.conflict_target)),
        sets=sql.SQL(", ").join(
            sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(n), sql.Identifier(n))
            for n in updated
        ),
        old=sql.SQL(", ").join(sql.Identifier("t", n) for n in updated),
        new=sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(n)) for n in updated),
    )


def row_select(spec: TableSpec) -> sql.Composable:
    """legacy_id, data, bson_annotations and the compared columns of the target row `t`."""
    cols = [sql.Identifier("t", n) for n in ("legacy_id", "data", "bson_annotations")]
    cols += [sql.Identifier("t", n) for n in spec.compared_columns]
    return sql.SQL(", ").join(cols)


def read_back(spec: TableSpec) -> sql.Composed:
    """The stored rows of the staged documents, as the application reads them."""
    join: sql.Composable = sql.SQL("t.legacy_id = s.legacy_id")
    if spec.scope_column:
        join = sql.SQL("{} AND t.{} = s.{}").format(
            join, sql.Identifier(spec.scope_column), sql.Identifier(spec.scope_column)
        )
    return sql.SQL("SELECT s.ord, {cols} FROM {stage} s JOIN {table} t ON {join}").format(
        cols=row_select(spec), stage=STAGE, table=sql.Identifier(spec.table), join=join
    )


def rows_by_ids(spec: TableSpec) -> sql.Composed:
    """Rows for a list of legacy ids (verify), with any open quarantine entry of each id."""
    scope: sql.Composable = sql.SQL("")
    if spec.scope_column:
        scope = sql.SQL(" AND t.{} = %(collection)s").format(sql.Identifier(spec.scope_column))
    return sql.SQL(
        "SELECT i.legacy_id, q.id, {cols} FROM unnest(%(ids)s::text[]) AS i(legacy_id) "
        "LEFT JOIN {table} t ON t.legacy_id = i.legacy_id{scope} "
        "LEFT JOIN migration_quarantine q ON q.collection = %(collection)s "
        "AND q.legacy_id = i.legacy_id AND q.resolved_at IS NULL"
    ).format(cols=row_select(spec), table=sql.Identifier(spec.table), scope=scope)


def count_rows(spec: TableSpec) -> sql.Composed:
    if spec.scope_column:
        return sql.SQL("SELECT count(*) FROM {} WHERE {} = %(collection)s").format(
            sql.Identifier(spec.table), sql.Identifier(spec.scope_column)
        )
    return sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(spec.table))


def export_rows(spec: TableSpec) -> sql.Composed:
    """Every row of the table (or of one unmapped collection) in insertion order, for export."""
    where: sql.Composable = sql.SQL("")
    if spec.scope_column:
        where = sql.SQL(" WHERE {} = %(collection)s").format(sql.Identifier(spec.scope_column))
    return sql.SQL("SELECT legacy_id, data, bson_annotations FROM {}{} ORDER BY id").format(
        sql.Identifier(spec.table), where
    )
