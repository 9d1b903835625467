"""`pmo migrate plan`: what a run would do, and a pre-flight scan. Writes nothing anywhere.

For each source collection: count, size, the target table (or "unmapped"), and the documents
that will need attention: no natural key, ids outside the legacy patterns, other values a
column constraint refuses, values natural JSON cannot hold (stored with annotations), oversized
documents, dangling `humanSopId` references, duplicate natural keys and `_id`s.

Duplicate detection keeps an 8-byte digest per document key: memory grows with the collection
(~50 bytes per document), unlike `run` and `verify`, which are bounded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from pmo_playbook.documents.registry.columns import Rejected, TableSpec
from pmo_playbook.migration.codec.rowcodec import RowCodec
from pmo_playbook.migration.mapping import REFERENCED_TABLES, sorted_collections, target_for
from pmo_playbook.migration.sources.base import Source

BSON_MAX = 16 * 1024 * 1024
EXAMPLES = 5


@dataclass
class Finding:
    """One kind of problem: how many documents, and the first few (id and reason)."""

    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.count += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append(text)


@dataclass
class CollectionPlan:
    """The plan for one source collection."""

    collection: str
    table: str | None
    count: int = 0
    size_bytes: int = 0
    findings: dict[str, Finding] = field(default_factory=dict)

    def note(self, kind: str, text: str) -> None:
        self.findings.setdefault(kind, Finding()).add(text)

    def as_json(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "table": self.table or "unmapped",
            "count": self.count,
            "size_bytes": self.size_bytes,
            "findings": {
                k: {"count": f.count, "examples": f.examples} for k, f in self.findings.items()
            },
        }


@dataclass
class Plan:
    source: str
    collections: list[CollectionPlan] = field(default_factory=list)

    @property
    def unmapped(self) -> list[str]:
        return [c.collection for c in self.collections if c.table is None]

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "unmapped": self.unmapped,
            "collections": [c.as_json() for c in self.collections],
        }


def plan(source: Source, *, include_unmapped: bool = False, max_bytes: int = BSON_MAX) -> Plan:
    """Scan every collection of `source` (reads only the source)."""
    result = Plan(source=source.description)
    ids_by_table: dict[str, set[str]] = {t: set() for t in REFERENCED_TABLES}
    for col in sorted_collections(source):
        spec = target_for(col.name, include_unmapped)
        entry = CollectionPlan(col.name, spec.table if spec else None)
        if spec is None:
            entry.count = (
                col.count if col.count is not None else sum(1 for _ in source.documents(col.name))
            )
            entry.size_bytes = col.size_bytes or 0
        else:
            _scan(source, col.name, spec, entry, ids_by_table, max_bytes)
        result.collections.append(entry)
    return result


def _digest(*parts: Any) -> bytes:
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()


def _scan(
    source: Source, name: str, spec: TableSpec, entry: CollectionPlan,
    ids_by_table: dict[str, set[str]], max_bytes: int,
) -> None:  # fmt: skip
    """Scan one collection; `ids_by_table` collects the ids of referenced tables (loaded first)."""
    codec = RowCodec(name, spec)
    seen: set[bytes] = set()
    for doc in source.documents(name):
        entry.count += 1
        entry.size_bytes += len(doc.raw)
        if len(doc.raw) > max_bytes:
            entry.note("oversized", f"{doc.position}: {len(doc.raw)} bytes")
        try:
            enc = codec.encode(doc.raw)
        except Exception as exc:
            entry.note("cannot_encode", f"{doc.position}: {exc}")
            continue
        lid = enc.legacy_id
        if enc.annotations is not None:
            entry.note("annotated", f"{lid}: {', '.join(sorted(enc.annotations))[:120]}")
        try:
            values = spec.extract(enc.data, lid)
        except Rejected as exc:
            kind = (
                "no_natural_key"
                if "no natural key" in str(exc)
                else ("id_pattern" if "does not match" in str(exc) else "invalid_value")
            )
            entry.note(kind, f"{lid}: {exc}")
            continue
        _duplicates(spec, entry, seen, lid, values)
        if spec.table in ids_by_table:
            ids_by_table[spec.table].add(lid)
        ref = spec.reference
        if ref is not None and enc.data.get(ref.field) is not None:
            target = ref.legacy_id(enc.data)
            if target is None or target not in ids_by_table[ref.target_table]:
                entry.note(f"dangling_{ref.field}", f"{lid}: {ref.field} {enc.data[ref.field]!r}")


def _duplicates(
    spec: TableSpec, entry: CollectionPlan, seen: set[bytes], lid: str, values: tuple[Any, ...]
) -> None:
    if _digest("_id", lid) in seen:
        entry.note("duplicate_id", f"{lid}: _id appears twice")
    seen.add(_digest("_id", lid))
    names = spec.column_names
    for key in spec.unique_keys:
        vals = [values[names.index(k)] for k in key]
        vals = [v.lower() if k in spec.lower_keys else v for k, v in zip(key, vals, strict=True)]
        digest = _digest(key, *vals)
        if digest in seen:
            shown = ", ".join(f"{k}={v!r}" for k, v in zip(key, vals, strict=True))
            entry.note("duplicate_natural_key", f"{lid}: {shown} used by an earlier document")
        seen.add(digest)
