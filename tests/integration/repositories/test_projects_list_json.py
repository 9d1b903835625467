"""The project list built by PostgreSQL equals, byte for byte once compacted, the list built in
Python from the same rows (ProjectRow.to_legacy): the one response shape, whichever side makes it."""

from __future__ import annotations

from typing import Any

import orjson
import psycopg
import pytest
from psycopg.types.json import Jsonb

from pmo_playbook.repositories.projects import ProjectRepository

DOCUMENTS: list[tuple[str, str | None, bool, dict[str, Any], str]] = [
    # every key, nested milestones, numbers of each kind
    (
        "PRO-101",
        "687a1c3f5748b4cfe9955de0",
        True,
        {
            "projectName": "Compliance – Phase II ✓",
            "sponsor": 'Zoë \u00e9 "quoted" \\ back',
            "projectTeam": ["A", "B"],
            "keyDatesMilestones": [{"milestone": "Kick-off", "date": "2026-01-05", "n": 1.0}],
            "budget": 12345678901234567890,
            "ratio": 1e-7,
            "businessCaseSummary": "line\nbreak\ttab\u0001control",
            "resourceRequirements": None,
            "createdAt": "ignored: the column is the source",
        },
        "2026-03-04 05:06:07.891234+00",
    ),
    # nothing but the required id: every list key [] and every other key null
    ("PRO-102", None, True, {}, "0999-12-31 23:59:59.9999+00"),
    # keys present with null stay null, even list keys
    ("PRO-103", "x" * 24, True, {"projectTeam": None, "threats": [], "_id": "not this"}, "now"),
    # inactive: only in the full list
    ("PRO-104", "y" * 24, False, {"projectName": "Old"}, "2001-01-01 00:00:00+05"),
]


@pytest.fixture
def repo(conn: psycopg.Connection[Any]) -> ProjectRepository:
    conn.execute("DELETE FROM projects")
    for project_id, legacy_id, active, data, created in DOCUMENTS:
        conn.execute(
            "INSERT INTO projects (project_id, legacy_id, is_active, data, created_at, updated_at)"
            " VALUES (%s, %s, %s, %s, %s::timestamptz, %s::timestamptz + interval '1 hour')",
            (project_id, legacy_id, active, Jsonb(data), created, created),
        )
    return ProjectRepository(conn)


@pytest.mark.parametrize("active_only", [True, False])
def test_database_built_list_equals_the_python_built_one(
    repo: ProjectRepository, active_only: bool
) -> None:
    from_python = orjson.dumps([row.to_legacy() for row in repo.list(active_only=active_only)])
    from_database = orjson.dumps(orjson.loads(repo.list_json(active_only=active_only)))
    assert from_database == from_python
    listed = [p["projectId"] for p in orjson.loads(from_database)]
    assert listed == (["PRO-101", "PRO-102", "PRO-103"] + ([] if active_only else ["PRO-104"]))


def test_empty_table_is_an_empty_list(conn: psycopg.Connection[Any]) -> None:
    conn.execute("DELETE FROM projects")
    assert orjson.loads(ProjectRepository(conn).list_json(active_only=True)) == []
