"""SQL of the `projects` table. Typed columns and `data` are written together."""

from __future__ import annotations

from typing import Any

from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from pmo_playbook.documents.projects import PROJECT_LIST_KEYS, PROJECT_RESPONSE_KEYS, ProjectRow
from pmo_playbook.repositories.base import Repository, storage_errors

_COLUMNS = "legacy_id, project_id, is_active, data, created_at, updated_at"
_LIST_ALL = f"SELECT {_COLUMNS} FROM projects ORDER BY project_id"  # noqa: S608
_LIST_ACTIVE = f"SELECT {_COLUMNS} FROM projects WHERE is_active ORDER BY project_id"  # noqa: S608
_GET = f"SELECT {_COLUMNS} FROM projects WHERE project_id = %s"  # noqa: S608
_GET_ACTIVE = f"SELECT {_COLUMNS} FROM projects WHERE project_id = %s AND is_active"  # noqa: S608
_INSERT = f"""
INSERT INTO projects (project_id, legacy_id, is_active, data)
VALUES (%(project_id)s, %(legacy_id)s, %(is_active)s,
        %(data)s::jsonb || jsonb_build_object('createdAt', pmo_iso(now()),
                                              'updatedAt', pmo_iso(now())))
RETURNING {_COLUMNS}
"""  # noqa: S608
# `data || patch` keeps every key the patch does not name (migrated documents stay whole).
_UPDATE = f"""
UPDATE projects
   SET data = data || %(patch)s::jsonb || jsonb_build_object('updatedAt', pmo_iso(now()),
                                                             'isActive', %(is_active)s::boolean),
       is_active = %(is_active)s::boolean
 WHERE project_id = %(project_id)s
RETURNING {_COLUMNS}
"""  # noqa: S608
_LOCK = "SELECT is_active FROM projects WHERE project_id = %s FOR UPDATE"
# Response keys held in typed columns; every other key is read from the document.
_COLUMN_OF = {
    "_id": sql.SQL("legacy_id"),
    "projectId": sql.SQL("project_id"),
    "isActive": sql.SQL("is_active"),
    "createdAt": sql.SQL("pmo_iso(created_at)"),
    "updatedAt": sql.SQL("pmo_iso(updated_at)"),
}


def _response_value(key: str) -> sql.Composable:
    """One key's value in ProjectRow.to_legacy's shape: a missing key is [] for list keys and
    null otherwise, while a key present with null stays null (`data -> key` is JSON null then)."""
    if key in _COLUMN_OF:
        return _COLUMN_OF[key]
    missing = sql.SQL("'[]'::jsonb" if key in PROJECT_LIST_KEYS else "'null'::jsonb")
    return sql.SQL("coalesce(data -> {key}, {missing})").format(
        key=sql.Literal(key), missing=missing
    )


def _list_json(where: sql.Composable) -> sql.Composed:
    """The JSON array of the listed projects, built by the server in the response's key order
    (json_build_object keeps it): the list is the API's heaviest read, and building it here
    spares the worker parsing every document and building it again."""
    pairs = sql.SQL(", ").join(
        sql.SQL("{}, {}").format(sql.Literal(key), _response_value(key))
        for key in PROJECT_RESPONSE_KEYS
    )
    return sql.SQL(
        "SELECT coalesce(json_agg(json_build_object({pairs}) ORDER BY project_id), '[]')::text"
        " FROM projects {where}"
    ).format(pairs=pairs, where=where)


_LIST_ALL_JSON = _list_json(sql.SQL(""))
_LIST_ACTIVE_JSON = _list_json(sql.SQL("WHERE is_active"))


class ProjectRepository(Repository):
    """Projects by their PRO- id."""

    def _rows(self, statement: str, params: tuple[Any, ...] = ()) -> list[ProjectRow]:
        return [
            ProjectRow(**row) for row in self._dicts(statement, params, what="reading projects")
        ]

    def list(self, *, active_only: bool) -> list[ProjectRow]:
        return self._rows(_LIST_ACTIVE if active_only else _LIST_ALL)

    def list_json(self, *, active_only: bool) -> str:
        """`list()` as the JSON text of `[row.to_legacy(), ...]` (whitespace aside)."""
        statement = _LIST_ACTIVE_JSON if active_only else _LIST_ALL_JSON
        row = self._execute(statement, what="reading projects").fetchone()
        assert row is not None
        return str(row[0])

    def get(self, project_id: str, *, active_only: bool = False) -> ProjectRow | None:
        rows = self._rows(_GET_ACTIVE if active_only else _GET, (project_id,))
        return rows[0] if rows else None

    def insert(self, project_id: str, legacy_id: str, data: dict[str, Any]) -> ProjectRow:
        """Create a project; a duplicate projectId raises Conflict."""
        params = {
            "project_id": project_id,
            "legacy_id": legacy_id,
            "is_active": bool(data.get("isActive", True)),
            "data": Jsonb(data),
        }
        with storage_errors(f"project {project_id}"), self.conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(_INSERT, params).fetchone()
        assert row is not None
        return ProjectRow(**row)

    def update(self, project_id: str, patch: dict[str, Any]) -> ProjectRow | None:
        """Merge `patch` into the document (is_active kept in step); None when absent."""
        with storage_errors(f"project {project_id}"), self.conn.cursor(row_factory=dict_row) as cur:
            current = cur.execute(_LOCK, (project_id,)).fetchone()
            if current is None:
                return None
            is_active = bool(patch.get("isActive", current["is_active"]))
            params = {"project_id": project_id, "patch": Jsonb(patch), "is_active": is_active}
            row = cur.execute(_UPDATE, params).fetchone()
        assert row is not None
        return ProjectRow(**row)
