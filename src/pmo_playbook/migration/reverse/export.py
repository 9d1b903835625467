"""`pmo migrate export`: the reverse direction, PostgreSQL → mongodump or mongoexport files.

Every row is decoded by the codec from what the application reads (`data`, `bson_annotations`,
the collection's shape); rows created in PostgreSQL (no annotations) come out in the
legacy shape (BSON dates and ObjectIds where the mongoose models have them). Rows stream through
a server-side cursor in insertion order (`ORDER BY id`), so memory stays bounded and a migrated
collection comes out in its source order, byte for byte.

An export is what a rollback restores, so it is all or nothing: every table is read in ONE
read-only REPEATABLE READ transaction (one snapshot, even while the application writes), and
the files are written into a hidden folder and published only when complete
(staged_folder.py). An interrupted or failed export leaves nothing at the destination that
`mongorestore` could take for a dump. The destination must be empty, or hold only files an
export writes and be replaced on purpose (`overwrite`): stale collection files of an earlier
export mixed into a new one would be restored too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import psycopg
from psycopg import IsolationLevel

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.documents.registry import collection
from pmo_playbook.documents.registry.collection import ID_INDEX
from pmo_playbook.documents.registry.columns import TableSpec
from pmo_playbook.errors import InvalidInput
from pmo_playbook.migration.codec.rowcodec import RowCodec
from pmo_playbook.migration.connection import open_connection
from pmo_playbook.migration.load import staging
from pmo_playbook.migration.mapping import SPECS, unmapped_spec
from pmo_playbook.migration.reverse.staged_folder import check_destination, fsync, staged

FORMATS = ("mongodump", "mongoexport")
_UNMAPPED = "SELECT DISTINCT collection FROM legacy_documents ORDER BY collection"


@dataclass
class ExportReport:
    """Documents written per collection, and where."""

    folder: str
    format: str
    counts: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


def export(
    url: DatabaseUrl,
    folder: Path,
    *,
    fmt: str = "mongodump",
    database: str = "pmo_playbook",
    overwrite: bool = False,
) -> ExportReport:
    """Write every table (under its legacy collection name) and every kept unmapped collection.

    mongodump: `<folder>/<database>/<collection>.bson` + `.metadata.json`; mongoexport:
    `<folder>/<collection>.json`. All or nothing (module docstring).
    """
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown export format {fmt!r} (use mongodump or mongoexport)")
    target = (folder / database if fmt == "mongodump" else folder).resolve()
    check_destination(target, overwrite)
    report = ExportReport(folder=str(target), format=fmt)
    with staged(target) as stage, open_connection(url) as conn:
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            names = [r[0] for r in conn.execute(_UNMAPPED).fetchall()]
            specs = [*SPECS, *(unmapped_spec(n) for n in names)]
            for spec in specs:
                path = export_collection(conn, spec, stage, fmt, report)
                report.files.append(str(target / path.name))
    return report


class ExportFailed(InvalidInput):
    """A row cannot be written back as a MongoDB document (named, with the reason)."""

    code = "EXPORT_FAILED"


def export_collection(
    conn: psycopg.Connection[Any], spec: TableSpec, target: Path, fmt: str, report: ExportReport
) -> Path:
    """Stream one collection to `<name>.bson` (+ metadata) or `<name>.json` (canonical EJSON)."""
    name = spec.legacy_name
    codec = RowCodec(name, spec)
    path = target / (f"{name}.bson" if fmt == "mongodump" else f"{name}.json")
    count = 0
    with path.open("wb") as out, conn.cursor(name=f"pmo_export_{count}") as cur:
        cur.itersize = 2000
        cur.execute(staging.export_rows(spec), {"collection": name})
        for legacy_id, data, annotations in cur:
            try:
                raw = codec.decode(legacy_id, data, annotations)
            except Exception as exc:
                raise ExportFailed(
                    f"{spec.table} row legacy_id {legacy_id} (collection {name}) cannot be "
                    f"exported: {type(exc).__name__}: {exc}; nothing was written"
                ) from exc
            _write(out, codec, raw, fmt)
            count += 1
        out.flush()
        os.fsync(out.fileno())
    if fmt == "mongodump":
        known = collection(name)
        metadata = {
            # The legacy mongoose indexes, as mongodump writes them (unmapped: `_id` only).
            "indexes": list(known.legacy_indexes if known is not None else (ID_INDEX,)),
            "collectionName": name,
            "type": "collection",
        }
        meta_path = target / f"{name}.metadata.json"
        meta_path.write_bytes(orjson.dumps(metadata))
        fsync(meta_path)
    report.counts[name] = count
    return path


def _write(out: BinaryIO, codec: RowCodec, raw: bytes, fmt: str) -> None:
    if fmt == "mongodump":
        out.write(raw)
    else:
        out.write(codec.ejson(raw).encode() + b"\n")
