"""Atomic PRO-/SOP- numbers (D16) and the driver-error translation the SOP, project and
proposal repositories share.

Allocation takes the counter row's lock (migration 0003), so concurrent creations queue, then
continues after GREATEST(counter, highest stored number): ids keep counting after rows that
were imported or created with an explicit id. Only ids of the allocatable form (3 to 9 ASCII
digits, `documents/ids.py`) are read as numbers, so a longer stored id (a migrated document
keeps its own) is never cast and cannot overflow the bigint. When the next number would pass
nine digits (someone stored `PRO-999999999`), the counter skips to the lowest free number
above itself instead: a stored id never blocks allocation; only a full id space refuses.
"""

from __future__ import annotations

from pmo_playbook.documents.ids import MAX_ID_NUMBER, format_number
from pmo_playbook.errors import Conflict
from pmo_playbook.repositories.base import Repository, storage_errors

_LOCK = "SELECT last_value FROM app_id_counters WHERE name = %s FOR UPDATE"
_ENSURE = "INSERT INTO app_id_counters (name, last_value) VALUES (%s, 0) ON CONFLICT DO NOTHING"
_SAVE = "UPDATE app_id_counters SET last_value = %s WHERE name = %s"

# The numbers in use per id kind (a subquery with one column, n).
_TAKEN_PROJECTS = """
    SELECT substring(project_id FROM 5)::bigint AS n FROM projects
     WHERE project_id ~ '^PRO-[0-9]{3,9}$'
"""
_TAKEN_SOPS = """
    SELECT substring(sop_id FROM 5)::bigint AS n FROM human_sops
     WHERE sop_id ~ '^SOP-[0-9]{3,9}$'
    UNION
    SELECT substring(sop_id FROM 5)::bigint AS n FROM agent_sops
     WHERE sop_id ~ '^SOP-[0-9]{3,9}$'
"""
_HIGHEST_TEMPLATE = "SELECT coalesce(max(n), 0) FROM ({taken}) AS taken"
# The lowest free number above %(after)s: after + 1 itself, or one past a taken number.
_LOWEST_FREE_TEMPLATE = """
WITH taken AS ({taken})
SELECT min(c.n) FROM (
    SELECT %(after)s::bigint + 1 AS n
    UNION ALL
    SELECT n + 1 FROM taken WHERE n > %(after)s
) AS c
WHERE c.n <= %(max)s AND NOT EXISTS (SELECT 1 FROM taken AS t WHERE t.n = c.n)
"""
_TAKEN = {"project": _TAKEN_PROJECTS, "sop": _TAKEN_SOPS}
_HIGHEST = {kind: _HIGHEST_TEMPLATE.format(taken=sub) for kind, sub in _TAKEN.items()}
_LOWEST_FREE = {kind: _LOWEST_FREE_TEMPLATE.format(taken=sub) for kind, sub in _TAKEN.items()}


class IdRepository(Repository):
    """Hands out the next PRO-/SOP- number inside the caller's transaction."""

    def _next(self, kind: str) -> int:
        with storage_errors(f"allocating a {kind} id"):
            row = self.conn.execute(_LOCK, (kind,)).fetchone()
            if row is None:  # counter row deleted by hand: recreate it, then allocate
                self.conn.execute(_ENSURE, (kind,))
                row = self.conn.execute(_LOCK, (kind,)).fetchone()
            assert row is not None
            last = int(row[0])
            highest = self.conn.execute(_HIGHEST[kind]).fetchone()
            number = max(last, int(highest[0]) if highest else 0) + 1
            if number > MAX_ID_NUMBER:
                number = self._lowest_free(kind, min(last, MAX_ID_NUMBER))
            self.conn.execute(_SAVE, (number, kind))
        return number

    def _lowest_free(self, kind: str, after: int) -> int:
        for start in (after, 0):  # above the counter first, then from the bottom
            params = {"after": start, "max": MAX_ID_NUMBER}
            row = self.conn.execute(_LOWEST_FREE[kind], params).fetchone()
            if row is not None and row[0] is not None:
                return int(row[0])
        raise Conflict(f"no free {kind} id is left", details={"limit": MAX_ID_NUMBER})

    def next_project_id(self) -> str:
        return format_number("PRO", self._next("project"))

    def next_sop_id(self) -> str:
        return format_number("SOP", self._next("sop"))
