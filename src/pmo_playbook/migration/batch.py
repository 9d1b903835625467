"""Turn a chunk of source documents into COPY rows and quarantine entries (no I/O).

Everything that can be decided without the database is decided here, in one pass: the codec
encodes, the table's extract function derives the columns (or rejects the document), duplicate
`_id`s and natural keys within the batch are caught. Conflicts with rows already stored are
found afterwards by one set-based DELETE ... USING on the staging table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from psycopg.types.json import Jsonb

from pmo_playbook.migration.mapping import Rejected, TableSpec
from pmo_playbook.migration.quarantine import Entry
from pmo_playbook.migration.rowcodec import RowCodec
from pmo_playbook.migration.sources.base import SourceDocument


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


@dataclass
class Batch:
    """One batch ready for COPY: rows, their source bytes, and what is already rejected."""

    collection: str
    spec: TableSpec
    codec: RowCodec
    read: int = 0
    dangling: int = 0  # humanSopId present but not an ObjectId (cannot point anywhere)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    raw_by_ord: dict[int, bytes] = field(default_factory=dict)
    meta_by_ord: dict[int, tuple[str, str, tuple[Any, ...]]] = field(default_factory=dict)
    rejected: list[Entry] = field(default_factory=list)

    def entry(self, raw: bytes, legacy_id: str | None, reason: str, position: str) -> Entry:
        doc_id = self.codec.doc_id_ejson(legacy_id) if legacy_id else None
        table = self.spec.table if self.spec.scope_column is None else None
        return Entry(
            self.collection, table, legacy_id or f"(no _id) {position}", doc_id,
            self.codec.ejson(raw), reason, position,
        )  # fmt: skip

    def conflict_entry(self, ord_: int, key: tuple[str, ...], holder: str | None) -> Entry:
        """Quarantine a staged row whose natural key `holder` (another `_id`) already holds."""
        legacy_id, position, values = self.meta_by_ord[ord_]
        names = self.spec.column_names
        shown = ", ".join(f"{k}={values[names.index(k)]!r}" for k in key)
        reason = f"natural key {shown} already taken by _id {holder}"
        return self.entry(self.raw_by_ord[ord_], legacy_id, reason, position)


def prepare_batch(
    chunk: list[SourceDocument], codec: RowCodec, spec: TableSpec, start: int
) -> Batch:
    """Encode, derive and de-duplicate one chunk (ord = position in the source)."""
    batch = Batch(codec.collection, spec, codec, read=len(chunk))
    seen_ids: set[str] = set()
    seen_keys: dict[tuple[Any, ...], str] = {}
    names = spec.column_names
    key_idx = [(key, [names.index(k) for k in key]) for key in spec.unique_keys]
    for ord_, doc in enumerate(chunk, start):
        try:
            enc = codec.encode(doc.raw)
        except Exception as exc:  # the codec names what it could not encode
            batch.rejected.append(batch.entry(doc.raw, None, f"cannot encode: {exc}", doc.position))
            continue
        lid = enc.legacy_id
        try:
            values = spec.extract(enc.data, lid)
        except Rejected as exc:
            batch.rejected.append(batch.entry(doc.raw, lid, str(exc), doc.position))
            continue
        if lid in seen_ids:
            batch.rejected.append(
                batch.entry(doc.raw, lid, "duplicate _id in the source", doc.position)
            )
            continue
        clash = _batch_clash(spec, key_idx, values, lid, seen_keys)
        if clash:
            batch.rejected.append(batch.entry(doc.raw, lid, clash, doc.position))
            continue
        seen_ids.add(lid)
        if (
            spec.table == "agent_sops"
            and enc.data.get("humanSopId") is not None
            and values[1] is None
        ):
            batch.dangling += 1
        ann = Jsonb(enc.annotations, dumps=_dumps) if enc.annotations is not None else None
        batch.rows.append((ord_, lid, Jsonb(enc.data, dumps=_dumps), ann, *values))
        batch.raw_by_ord[ord_] = doc.raw
        batch.meta_by_ord[ord_] = (lid, doc.position, values)
    return batch


def _batch_clash(
    spec: TableSpec,
    key_idx: list[tuple[tuple[str, ...], list[int]]],
    values: tuple[Any, ...],
    legacy_id: str,
    seen: dict[tuple[Any, ...], str],
) -> str | None:
    """A reason when an earlier document of this batch already uses one of the natural keys."""
    for key, idx in key_idx:
        norm = tuple(
            values[i].lower() if k in spec.lower_keys else values[i]
            for k, i in zip(key, idx, strict=True)
        )
        holder = seen.get((key, *norm))
        if holder is not None:
            shown = ", ".join(f"{k}={values[i]!r}" for k, i in zip(key, idx, strict=True))
            return f"natural key {shown} already taken by _id {holder}"
    for key, idx in key_idx:
        norm = tuple(
            values[i].lower() if k in spec.lower_keys else values[i]
            for k, i in zip(key, idx, strict=True)
        )
        seen[(key, *norm)] = legacy_id
    return None
