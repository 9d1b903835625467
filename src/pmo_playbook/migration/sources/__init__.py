"""Legacy sources: `open_source(spec)` detects the kind and returns a `Source` (see base.py).

Detection (`format=` overrides it):
- `mongodb://` or `mongodb+srv://` → live MongoDB ("mongodb");
- a file starting with the archive magic 0x8199e26d, plain or gzipped → "archive";
- a `.bson` / `.bson.gz` file, or a folder holding such files (itself or one level down) →
  "mongodump";
- a `.json` file or a folder of `.json` files: an array whose first document's `_id` is a
  24-hex string and which has no Extended JSON `$` keys → "seed-json"; otherwise (JSON lines,
  concatenated documents, `--jsonArray`) → "mongoexport". Empty files fit either; a folder
  mixing both kinds is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pmo_playbook.migration.sources.archive import ArchiveSource, is_archive
from pmo_playbook.migration.sources.base import (
    ResumePoint,
    Source,
    SourceCollection,
    SourceDocument,
    SourceError,
    count_documents,
)
from pmo_playbook.migration.sources.jsonstream import first_char, iter_json_documents, make_decoder
from pmo_playbook.migration.sources.mongodump import (
    DATA_SUFFIXES,
    MongodumpSource,
    is_dump_directory,
)
from pmo_playbook.migration.sources.mongoexport import MongoexportSource, data_files
from pmo_playbook.migration.sources.seed_json import HEX24, SeedJsonSource

FORMATS = ("mongodb", "mongodump", "archive", "mongoexport", "seed-json")

__all__ = [
    "FORMATS",
    "ResumePoint",
    "Source",
    "SourceCollection",
    "SourceDocument",
    "SourceError",
    "count_documents",
    "detect_format",
    "open_source",
]


def open_source(
    spec: str,
    *,
    format: str | None = None,
    mongodb_uri: str | None = None,
    database: str | None = None,
    client: Any = None,
    server_selection_timeout_ms: int | None = None,
) -> Source:
    """Open `spec` (a URI or a path) as a legacy source; `mongodb_uri` is used when spec is ''.

    `database` selects one database (live source, multi-database dumps and archives).
    `client` injects a pymongo-compatible client (e.g. mongomock) for the live source.
    """
    spec = spec or (mongodb_uri or "")
    if not spec:
        raise SourceError("no source given (pass a path or a mongodb:// URI, or set MONGODB_URI)")
    kind = format or detect_format(spec)
    if kind not in FORMATS:
        raise SourceError(f"unknown source format {kind!r} (choose one of {', '.join(FORMATS)})")
    if kind == "mongodb":
        timeout = (
            {}
            if server_selection_timeout_ms is None
            else {"server_selection_timeout_ms": server_selection_timeout_ms}
        )
        # pymongo costs ≈ 0.2 s to import: only a live source pays it (a small file run is
        # meant to finish in well under 2 s).
        from pmo_playbook.migration.sources.live import MongoSource

        return MongoSource(
            spec if "://" in spec else None, database=database, client=client, **timeout
        )
    path = Path(spec)
    if not path.exists():
        raise SourceError(f"{spec}: no such file or directory")
    if kind == "archive":
        return ArchiveSource(path, database=database)
    if kind == "mongodump":
        return MongodumpSource(path, database=database)
    if kind == "seed-json":
        return SeedJsonSource(path)
    return MongoexportSource(path)


def detect_format(spec: str) -> str:
    """The kind of source `spec` names; SourceError when unknown or ambiguous."""
    if spec.startswith(("mongodb://", "mongodb+srv://")):
        return "mongodb"
    path = Path(spec)
    if not path.exists():
        raise SourceError(f"{spec}: no such file or directory (nor a mongodb:// URI)")
    if path.is_file():
        if is_archive(path):
            return "archive"
        if path.name.endswith(DATA_SUFFIXES):
            return "mongodump"
        if path.name.endswith((".json", ".jsonl", ".ndjson")):
            return _json_kind(path, {path.stem: path})
        raise SourceError(
            f"{spec}: unknown source format (not a mongodump archive, .bson or .json file);"
            " use --format"
        )
    if is_dump_directory(path):
        return "mongodump"
    try:
        files = data_files(path)
    except SourceError:
        raise SourceError(
            f"{spec}: unknown source format (no .bson, .bson.gz or .json files found)"
        ) from None
    return _json_kind(path, files)


def _json_kind(where: Path, files: dict[str, Path]) -> str:
    """seed-json or mongoexport, judged on each file's first document; refuse a mix."""
    kinds = {k for f in files.values() if (k := _json_file_kind(f)) is not None}
    if len(kinds) > 1:
        raise SourceError(
            f"{where}: ambiguous JSON export (some files look like the seed script's arrays,"
            " others like mongoexport); use --format"
        )
    return kinds.pop() if kinds else "mongoexport"


def _json_file_kind(path: Path) -> str | None:
    """The kind one JSON file looks like, or None when it is empty (fits both)."""
    try:
        if first_char(path) != "[":
            return "mongoexport"
        first = next(iter_json_documents(path, make_decoder(dict)), None)
    except UnicodeDecodeError:
        raise SourceError(f"{path}: not UTF-8 text") from None
    if first is None:
        return None
    doc = first[1]
    if _has_dollar_keys(doc):
        return "mongoexport"
    oid = doc.get("_id")
    return "seed-json" if isinstance(oid, str) and HEX24.fullmatch(oid) else "mongoexport"


def _has_dollar_keys(value: Any) -> bool:
    """True when any nested object has a `$`-prefixed key (Extended JSON wrappers)."""
    if isinstance(value, dict):
        return any(k.startswith("$") or _has_dollar_keys(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_dollar_keys(v) for v in value)
    return False
