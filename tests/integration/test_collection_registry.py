"""The collection registry against the migrated schema: vocabularies, columns, natural keys.

The registry (`documents.registry`) is the one description of each legacy collection; the
schema (db/migrations) is written by hand. These tests fail when the two disagree.
"""

from __future__ import annotations

import re
from typing import Any

import psycopg

from pmo_playbook.documents.registry import COLLECTIONS, MODULES, collection, module_collections

_VOCABULARY_CHECKS = """
SELECT c.conname, pg_get_constraintdef(c.oid)
FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
WHERE c.contype = 'c' AND t.relname = %s AND c.conname LIKE '%%\\_vocabulary'
"""
_COLUMNS = """
SELECT column_name, data_type FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = %s
"""
_PG_TYPES = {"timestamptz": "timestamp with time zone"}


def _check_values(definition: str) -> tuple[str, ...]:
    """The quoted values of `CHECK ((col = ANY (ARRAY['a'::text, ...])))` in their order."""
    return tuple(re.findall(r"'([^']*)'", definition))


def test_registry_vocabularies_are_the_schema_check_constraints(
    conn: psycopg.Connection[Any],
) -> None:
    compared = 0
    for c in COLLECTIONS:
        checks = {
            name.removeprefix(f"{c.table}_").removesuffix("_vocabulary"): _check_values(definition)
            for name, definition in conn.execute(_VOCABULARY_CHECKS, (c.table,)).fetchall()
        }
        assert c.vocabularies == checks, c.name
        compared += len(checks)
    assert compared == 9  # statuses, priorities, rating, role, SOP type, change type


def test_registry_columns_exist_in_their_tables_with_their_types(
    conn: psycopg.Connection[Any],
) -> None:
    for c in COLLECTIONS:
        actual = dict(conn.execute(_COLUMNS, (c.table,)).fetchall())
        assert actual, f"no table {c.table}"
        for column in c.columns:
            if c.reference is not None and column.name == c.reference.staged_column:
                assert actual[c.reference.column] == "bigint"  # the resolved foreign key
                continue
            assert actual.get(column.name) == _PG_TYPES.get(column.pg_type, column.pg_type), (
                f"{c.table}.{column.name}"
            )


def test_registry_natural_keys_are_unique_in_the_schema(conn: psycopg.Connection[Any]) -> None:
    for c in COLLECTIONS:
        for key in c.natural_keys:
            wanted = [f"lower({k})" if k in c.lower_keys else k for k in key]
            found = conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
                (c.table, "CREATE UNIQUE INDEX%"),
            ).fetchall()
            defs = [re.sub(r"\s+", "", d.split(" USING btree ")[-1]) for (d,) in found]
            assert f"({','.join(wanted)})" in defs, f"{c.table} {key}: {defs}"


def test_registry_names_aliases_and_modules() -> None:
    names = [n for c in COLLECTIONS for n in c.names]
    assert len(names) == len(set(names))  # a source name denotes one collection
    assert collection("user_feedback") is collection("userfeedback")
    assert collection("sop_version_histories") is collection("sop_version_history")
    assert collection("no_such_collection") is None
    assert {c.module for c in COLLECTIONS} == set(MODULES)
    assert [c.name for c in module_collections("sops")] == [
        "human_sops", "agent_sops", "sop_version_history",
    ]  # fmt: skip
    assert [c.name for c in module_collections("feedback")] == ["userfeedback", "message_feedback"]
    # A referenced table loads before the tables that point at it.
    order = [c.table for c in COLLECTIONS]
    for c in COLLECTIONS:
        if c.reference is not None:
            assert order.index(c.reference.target_table) < order.index(c.table)
