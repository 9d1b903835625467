"""`pmo migrate verify`: every source document against its row, decoded as the application reads it.

The source is streamed in chunks; each chunk's rows are fetched by legacy_id in one query (with
any open quarantine entry), decoded through the codec (data + bson_annotations + shape) and
compared byte for byte with the source document, and the typed columns are re-derived from
`data` and compared too. The chunk's ids go to a TEMP table on the server, so rows the source
does not have ("extra") are found by one anti-join at the end: Python memory stays bounded.

Beyond `data` and the re-derived columns: `agent_sops.human_sop_id` must point at the human_sops
row whose legacy_id is the document's `humanSopId` (NULL when that row does not exist), and
`updated_at` is compared with the document's `updatedAt` and reported as drift, not as a failure
(the application and the trigger move it). A later document with an `_id` already seen is a
duplicate in the source (the loader quarantines it): listed, never compared with the row.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import islice
from typing import Any

import psycopg
from psycopg import sql

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.documents.registry.columns import TableSpec
from pmo_playbook.migration.codec.rowcodec import RowCodec
from pmo_playbook.migration.connection import open_connection
from pmo_playbook.migration.load import staging
from pmo_playbook.migration.load.run_guard import source_legacy_id
from pmo_playbook.migration.mapping import sorted_collections, target_for
from pmo_playbook.migration.sources.base import Source
from pmo_playbook.migration.verify.columns import check_columns

CHUNK = 2000
MAX_LISTED = 100  # ids listed per category (counts are always complete)

_SEEN = sql.Identifier("pmo_verify_seen")
_CREATE_SEEN = sql.SQL("CREATE TEMP TABLE {} (legacy_id text PRIMARY KEY) ON COMMIT DROP").format(
    _SEEN
)
_ADD_SEEN = sql.SQL(
    "INSERT INTO {} SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING RETURNING legacy_id"
).format(_SEEN)
_CLEAR_SEEN = sql.SQL("TRUNCATE {}").format(_SEEN)


@dataclass
class CollectionVerification:
    """What verification found for one source collection."""

    collection: str
    table: str | None
    source_count: int = 0
    row_count: int = 0
    identical: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    different: list[dict[str, Any]] = field(default_factory=list)  # {"_id", "paths"}
    quarantined: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # "<_id> at <position>"
    updated_at_drift: list[dict[str, Any]] = field(default_factory=list)  # {"_id", "row", "doc"}
    missing_count: int = 0
    extra_count: int = 0
    different_count: int = 0
    duplicate_count: int = 0
    updated_at_drift_count: int = 0  # reported, not a failure

    @property
    def ok(self) -> bool:
        return (
            self.table is not None
            and self.missing_count == 0
            and self.extra_count == 0
            and self.different_count == 0
            and self.duplicate_count == 0
            and not self.quarantined
            and self.identical == self.source_count
        )

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


@dataclass
class VerifyReport:
    """Verification of a whole source."""

    source: str
    collections: list[CollectionVerification] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.collections)

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "ok": self.ok,
            "unmapped": self.unmapped,
            "collections": {c.collection: c.as_json() for c in self.collections},
        }


def verify(url: DatabaseUrl, source: Source, *, include_unmapped: bool = False) -> VerifyReport:
    """Compare every document of `source` with its row (read-only, one snapshot)."""
    report = VerifyReport(source=source.description)
    with open_connection(url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        for col in sorted_collections(source):
            spec = target_for(col.name, include_unmapped)
            if spec is None:
                report.unmapped.append(col.name)
                continue
            with conn.transaction():
                report.collections.append(verify_collection(conn, source, col.name, spec))
    return report


def verify_collection(
    conn: psycopg.Connection[Any], source: Source, collection: str, spec: TableSpec
) -> CollectionVerification:
    """One collection: the merge of source chunks with their rows, then extras."""
    codec = RowCodec(collection, spec)
    result = CollectionVerification(collection, spec.table)
    conn.execute(_CREATE_SEEN)
    docs = iter(source.documents(collection))
    while chunk := list(islice(docs, CHUNK)):
        by_id: dict[str, bytes] = {}
        for doc in chunk:
            lid = source_legacy_id(codec, doc.raw) or f"(unreadable) {doc.position}"
            if lid in by_id:
                _duplicate(result, lid, doc.position)
            else:
                by_id[lid] = doc.raw
        result.source_count += len(chunk)
        ids = list(by_id)
        new = {r[0] for r in conn.execute(_ADD_SEEN, (ids,)).fetchall()}
        for lid in [i for i in ids if i not in new]:  # seen in an earlier chunk
            _duplicate(result, lid, "a later chunk")
            del by_id[lid]
        ids = list(by_id)
        rows = conn.execute(
            staging.rows_by_ids(spec), {"ids": ids, "collection": collection}
        ).fetchall()
        stored = {r[0]: r[3] for r in rows if r[2] is not None}
        mismatched, drifting = check_columns(
            conn, spec, collection, stored, result.updated_at_drift
        )
        result.updated_at_drift_count += drifting
        for row in rows:
            _classify(result, codec, row, by_id[row[0]], mismatched.get(row[0], []))
    row = conn.execute(staging.count_rows(spec), {"collection": collection}).fetchone()
    result.row_count = int(row[0]) if row else 0
    params = {"collection": collection, "limit": MAX_LISTED}
    result.extra = [r[0] for r in conn.execute(_extras(spec, "ids"), params).fetchall()]
    found = conn.execute(_extras(spec, "count"), params).fetchone()
    result.extra_count = int(found[0]) if found else 0
    conn.execute(_CLEAR_SEEN)
    return result


def _duplicate(result: CollectionVerification, legacy_id: str, where: str) -> None:
    """A later document with an `_id` already seen: quarantined by the loader, a finding here."""
    result.duplicate_count += 1
    if len(result.duplicates) < MAX_LISTED:
        result.duplicates.append(f"{legacy_id} at {where}")


def _classify(
    result: CollectionVerification,
    codec: RowCodec,
    row: tuple[Any, ...],
    raw: bytes,
    column_paths: list[str],
) -> None:
    legacy_id, quarantine_id, stored = row[0], row[1], row[2:]
    if stored[0] is None:  # no row
        if quarantine_id is not None:
            result.quarantined.append(legacy_id)
        else:
            result.missing_count += 1
            if len(result.missing) < MAX_LISTED:
                result.missing.append(legacy_id)
        return
    paths = codec.row_differences(stored, raw) + column_paths
    if not paths:
        result.identical += 1
        return
    result.different_count += 1
    if len(result.different) < MAX_LISTED:
        result.different.append({"_id": legacy_id, "paths": paths})


def _extras(spec: TableSpec, what: str) -> sql.Composed:
    """Rows of the table whose legacy_id the source did not have: first ids, or the count."""
    scope: sql.Composable = sql.SQL("")
    if spec.scope_column:
        scope = sql.SQL(" AND t.{} = %(collection)s").format(sql.Identifier(spec.scope_column))
    select = sql.SQL("count(*)")
    tail = sql.SQL("")
    if what == "ids":
        select = sql.SQL("coalesce(t.legacy_id, '(no legacy_id) id=' || t.id)")
        tail = sql.SQL(" ORDER BY t.id LIMIT %(limit)s")
    return sql.SQL(
        "SELECT {select} FROM {table} t "
        "WHERE NOT EXISTS (SELECT 1 FROM {seen} s WHERE s.legacy_id = t.legacy_id){scope}{tail}"
    ).format(select=select, table=sql.Identifier(spec.table), seen=_SEEN, scope=scope, tail=tail)
