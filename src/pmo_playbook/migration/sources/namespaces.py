"""How a dump's `database.collection` namespaces become the collection names a source lists.

One rule for mongodump directories and archives:
- `database=` given: only that database, collections named plainly (`projects`).
- otherwise, the user databases are every database except MongoDB's own `admin`, `config` and
  `local`. Exactly one user database: plain names. Several: `db.collection` names (the first
  dot separates; collection names may contain dots). None (a dump of `admin` only): every
  database, `db.collection` names.
- Whatever is left out (system databases, the oplog) is listed in `excluded` with the reason,
  so a caller can report it: nothing disappears silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pmo_playbook.migration.sources.base import SourceError

SYSTEM_DATABASES = frozenset({"admin", "config", "local"})


@dataclass
class NamespaceChoice:
    """The chosen namespaces by listed name, and what was left out (with reasons)."""

    by_name: dict[str, tuple[str, str]] = field(default_factory=dict)
    excluded: list[str] = field(default_factory=list)
    database: str | None = None  # the one database listed with plain names, if any


def choose_namespaces(
    namespaces: list[tuple[str, str]], database: str | None, where: str
) -> NamespaceChoice:
    """Apply the naming rule above to `(db, collection)` pairs found in `where`."""
    choice = NamespaceChoice()
    databases = sorted({db for db, _ in namespaces})
    if database is not None:
        if database not in databases:
            found = ", ".join(databases) or "none"
            raise SourceError(f"{where}: no database {database!r} (found: {found})")
        keep = {database}
    else:
        keep = {db for db in databases if db not in SYSTEM_DATABASES} or set(databases)
    plain = len(keep) == 1
    if plain:
        choice.database = next(iter(keep))
    for db, coll in sorted(namespaces):
        if db not in keep:
            choice.excluded.append(f"{db}.{coll} (database {db!r} not selected)")
            continue
        name = coll if plain else f"{db}.{coll}"
        if name in choice.by_name:
            raise SourceError(f"{where}: collection {name!r} appears twice")
        choice.by_name[name] = (db, coll)
    return choice
