"""`pmo migrate export`: the reverse direction, PostgreSQL → mongodump or mongoexport files.

Every row is decoded by the codec from what the application reads (`data`, `bson_annotations`,
the collection's `LegacyShape`); rows created in PostgreSQL (no annotations) come out in the
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
from pmo_playbook.errors import InvalidInput
from pmo_playbook.migration import staging
from pmo_playbook.migration.mapping import SPECS, TableSpec, unmapped_spec
from pmo_playbook.migration.rowcodec import RowCodec
from pmo_playbook.migration.run import open_connection
from pmo_playbook.migration.staged_folder import check_destination, fsync, staged

FORMATS = ("mongodump", "mongoexport")
_UNMAPPED = "SELECT DISTINCT collection FROM legacy_documents ORDER BY collection"


def _index(key: dict[str, Any], name: str, unique: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {"v": 2, "key": key, "name": name}
    if unique:
        spec["unique"] = True
    return spec


_TEXT = {"_fts": "text", "_ftsx": 1}
_ID = _index({"_id": 1}, "_id_")
# The legacy mongoose indexes (legacy-system.md §1), as mongodump writes them in .metadata.json.
LEGACY_INDEXES: dict[str, list[dict[str, Any]]] = {
    "projects": [_ID, _index({"projectId": 1}, "projectId_1", True),
                 _index(_TEXT, "projectName_text"), _index({"sponsor": 1}, "sponsor_1"),
                 _index({"isActive": 1}, "isActive_1")],
    "human_sops": [_ID, _index({"sopId": 1}, "sopId_1", True),
                   _index({"phase": 1, "isActive": 1}, "phase_1_isActive_1"),
                   _index(_TEXT, "title_text")],
    "agent_sops": [_ID, _index({"sopId": 1}, "sopId_1", True),
                   _index({"phase": 1, "isActive": 1}, "phase_1_isActive_1"),
                   _index({"keywords": 1}, "keywords_1"),
                   _index(_TEXT, "searchableContent_text")],
    "chat_histories": [_ID, _index({"sessionId": 1}, "sessionId_1", True),
                       _index({"userId": 1}, "userId_1"),
                       _index({"status": 1, "startedAt": -1}, "status_1_startedAt_-1")],
    "userfeedback": [_ID, _index({"createdAt": -1}, "createdAt_-1"),
                     _index({"status": 1, "priority": -1, "createdAt": -1},
                            "status_1_priority_-1_createdAt_-1"),
                     _index({"sopId": 1, "status": 1}, "sopId_1_status_1")],
    "message_feedback": [_ID, _index({"messageId": 1, "sessionId": 1},
                                     "messageId_1_sessionId_1", True),
                         _index({"sopUsed": 1, "rating": 1}, "sopUsed_1_rating_1")],
    "change_proposals": [_ID, _index({"proposalId": 1}, "proposalId_1", True),
                         _index({"sopId": 1}, "sopId_1"),
                         _index({"status": 1, "priority": -1, "createdAt": -1},
                                "status_1_priority_-1_createdAt_-1")],
    "sop_version_history": [_ID, _index({"sopId": 1, "sopType": 1, "version": -1},
                                        "sopId_1_sopType_1_version_-1"),
                            _index({"sopId": 1, "createdAt": -1}, "sopId_1_createdAt_-1")],
    "users": [_ID, _index({"userId": 1}, "userId_1", True),
              _index({"email": 1}, "email_1", True), _index({"role": 1}, "role_1")],
}  # fmt: skip


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
        metadata = {
            "indexes": LEGACY_INDEXES.get(name, [_ID]),
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
