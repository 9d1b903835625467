"""Turn a chunk of source documents into COPY rows and quarantine entries (no I/O).

Everything that can be decided without the database is decided here, in one pass: the codec
encodes, the table's extract function derives the columns (or rejects the document), duplicate
`_id`s and natural keys within the batch are caught. Conflicts with rows already stored are
found afterwards by one set-based DELETE ... USING on the staging table.

Each row carries its `data` and `bson_annotations` as canonical JSON text (`fastpath.canonical`,
COPYed as JSONB as is), and the codec has already decoded exactly that JSON back to the source
bytes in memory (`Prepared.unverified` lists the rows where it did not). The loader then only
has to prove that PostgreSQL returns the same JSON values (loader.write_batch).

`encode_chunk` is a pure function of (collection, documents): the loader may run it in a worker
process (pipeline.py) while the main process talks to PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pmo_playbook.documents.registry.columns import Rejected, TableSpec
from pmo_playbook.migration.codec.fastpath import canonical, encode_fast, loads
from pmo_playbook.migration.codec.rowcodec import RowCodec
from pmo_playbook.migration.load.entry import Entry, document_forms
from pmo_playbook.migration.sources.base import SourceDocument
from pmo_playbook.migration.sources.bsonstream import check_document

Row = tuple[Any, ...]  # (ord, legacy_id, data JSON bytes, annotations JSON bytes | None, *values)
Checks = list[tuple[str, int] | None]  # per item: (file, offset) when the source did not check it


@dataclass
class Prepared:
    """The picklable result of encoding one chunk (what a worker process sends back)."""

    read: int = 0
    dangling: int = 0  # humanSopId present but not an ObjectId (cannot point anywhere)
    rows: list[Row] = field(default_factory=list)
    unverified: set[int] = field(default_factory=set)  # ords whose in-memory decode differed
    rejected: list[Entry] = field(default_factory=list)
    # Set while the rows' data texts travel in the worker's shared memory (pipeline._pack).
    shared_lengths: list[int] | None = None


@dataclass
class Batch:
    """One batch ready for COPY: rows, their source bytes, and what is already rejected."""

    collection: str
    spec: TableSpec
    codec: RowCodec
    read: int = 0
    dangling: int = 0
    rows: list[Row] = field(default_factory=list)
    raw_by_ord: dict[int, bytes] = field(default_factory=dict)
    meta_by_ord: dict[int, tuple[str, str, tuple[Any, ...]]] = field(default_factory=dict)
    rejected: list[Entry] = field(default_factory=list)
    unverified: set[int] = field(default_factory=set)

    def entry(self, raw: bytes, legacy_id: str | None, reason: str, position: str) -> Entry:
        return make_entry(self.codec, raw, legacy_id, reason, position)

    def conflict_entry(self, ord_: int, key: tuple[str, ...], holder: str | None) -> Entry:
        """Quarantine a staged row whose natural key `holder` (another `_id`) already holds."""
        legacy_id, position, values = self.meta_by_ord[ord_]
        names = self.spec.column_names
        shown = ", ".join(f"{k}={values[names.index(k)]!r}" for k in key)
        reason = f"natural key {shown} already taken by _id {holder}"
        return self.entry(self.raw_by_ord[ord_], legacy_id, reason, position)


def make_entry(
    codec: RowCodec, raw: bytes, legacy_id: str | None, reason: str, position: str
) -> Entry:
    """A quarantine entry for one source document."""
    doc_id = codec.doc_id_ejson(legacy_id) if legacy_id else None
    table = codec.spec.table if codec.spec.scope_column is None else None
    # A document the codec refuses (duplicate keys, invalid UTF-8) has no exact canonical EJSON:
    # keep its bytes too, so quarantine never loses it.
    document, raw_base64 = document_forms(raw)
    return Entry(
        codec.collection, table, legacy_id or f"(no _id) {position}", doc_id,
        document, reason, position, raw_base64,
    )  # fmt: skip


def prepare_batch(
    chunk: list[SourceDocument], codec: RowCodec, spec: TableSpec, start: int
) -> Batch:
    """Encode, derive and de-duplicate one chunk (ord = position in the source)."""
    items = [(doc.raw, doc.position) for doc in chunk]
    return attach(encode_chunk(items, codec, start, checks_of(chunk)), items, codec, start)


def checks_of(chunk: list[SourceDocument]) -> Checks | None:
    """The deferred source checks of a chunk (None when the source checked every document)."""
    checks = [doc.unchecked for doc in chunk]
    return checks if any(c is not None for c in checks) else None


def attach(
    prepared: Prepared, items: list[tuple[bytes, str]], codec: RowCodec, start: int
) -> Batch:
    """The `Batch` of a chunk whose encoding (possibly done elsewhere) is `prepared`."""
    batch = Batch(
        codec.collection, codec.spec, codec, prepared.read, prepared.dangling, prepared.rows,
        rejected=prepared.rejected, unverified=prepared.unverified,
    )  # fmt: skip
    n_values = len(codec.spec.columns)
    for row in prepared.rows:
        raw, position = items[row[0] - start]
        batch.raw_by_ord[row[0]] = raw
        batch.meta_by_ord[row[0]] = (row[1], position, tuple(row[len(row) - n_values :]))
    return batch


def rederive(
    prepared: Prepared, items: list[tuple[bytes, str]], codec: RowCodec, start: int
) -> None:
    """Derive the columns again with `codec.spec.extract` (in place).

    For a caller whose extract function differs from the table's own (run_guard.py wraps it to
    reject documents read earlier in the run) while a worker, which only has the table's own
    function, did the encoding. The JSON is parsed once more; nothing is encoded again.
    """
    spec = codec.spec
    kept: list[Row] = []
    n_values = len(spec.columns)
    ref = spec.reference
    ref_at = spec.index(ref.staged_column) if ref is not None else 0
    for row in prepared.rows:
        ord_, lid = row[0], row[1]
        data = loads(row[2])
        try:
            values = spec.extract(data, lid)
        except Rejected as exc:
            raw, position = items[ord_ - start]
            prepared.rejected.append(make_entry(codec, raw, lid, str(exc), position))
            prepared.unverified.discard(ord_)
            if ref is not None and data.get(ref.field) is not None:
                prepared.dangling -= 1 if row[len(row) - n_values + ref_at] is None else 0
            continue
        kept.append((*row[:4], *values))
    prepared.rows = kept


def _encode(
    raw: bytes, codec: RowCodec, fast: tuple[str, bytes, Any, bytes | None] | None
) -> tuple[str, bytes, Any, bytes | None, bool]:
    """(legacy_id, data JSON, data, annotations JSON, decodes back exactly) of one document."""
    if fast is not None:  # already proven: decode(data, annotations) == raw
        return fast[0], fast[1], fast[2], fast[3], True
    enc = codec.encode(raw)
    data_text = canonical(enc.data)
    ann_text = canonical(enc.annotations) if enc.annotations is not None else None
    data = loads(data_text)  # exactly the JSON value that will be stored
    ann = loads(ann_text) if ann_text is not None else None
    try:
        exact = codec.decode(enc.legacy_id, data, ann) == raw
    except Exception:
        exact = False
    return enc.legacy_id, data_text, data, ann_text, exact


def encode_chunk(
    items: list[tuple[bytes, str]], codec: RowCodec, start: int, checks: Checks | None = None
) -> Prepared:
    """Encode and derive every (raw, position) of a chunk; reject what cannot be a row.

    `checks[i]` = (file, offset): the source deferred document i's well-formedness check to
    here. A document the fast encoder accepts needs no further check (its C decode succeeded
    and the real decoder re-wrote it byte for byte: what `check_document` establishes);
    any other is checked by `check_document` itself, whose `SourceError` stops the chunk.
    """
    spec = codec.spec
    out = Prepared(read=len(items))
    seen_ids: set[str] = set()
    seen_keys: dict[tuple[Any, ...], str] = {}
    names = spec.column_names
    key_idx = [(key, [names.index(k) for k in key]) for key in spec.unique_keys]
    ref = spec.reference
    ref_at = spec.index(ref.staged_column) if ref is not None else 0
    for ord_, (raw, position) in enumerate(items, start):
        fast = encode_fast(raw, codec.shape)
        if fast is None and checks is not None and (check := checks[ord_ - start]) is not None:
            check_document(raw, *check)
        try:
            lid, data_text, data, ann_text, exact = _encode(raw, codec, fast)
        except Exception as exc:  # the codec names what it could not encode
            out.rejected.append(make_entry(codec, raw, None, f"cannot encode: {exc}", position))
            continue
        try:
            values = spec.extract(data, lid)
        except Rejected as exc:
            out.rejected.append(make_entry(codec, raw, lid, str(exc), position))
            continue
        if lid in seen_ids:
            out.rejected.append(
                make_entry(codec, raw, lid, "duplicate _id in the source", position)
            )
            continue
        clash = _batch_clash(spec, key_idx, values, lid, seen_keys)
        if clash:
            out.rejected.append(make_entry(codec, raw, lid, clash, position))
            continue
        seen_ids.add(lid)
        if ref is not None and data.get(ref.field) is not None and values[ref_at] is None:
            out.dangling += 1
        if not exact:
            out.unverified.add(ord_)
        out.rows.append((ord_, lid, data_text, ann_text, *values))
    return out


def _batch_clash(
    spec: TableSpec,
    key_idx: list[tuple[tuple[str, ...], list[int]]],
    values: tuple[Any, ...],
    legacy_id: str,
    seen: dict[tuple[Any, ...], str],
) -> str | None:
    """A reason when an earlier document of this batch already uses one of the natural keys.

    Each key's normalised value is computed once and recorded only when no key clashes (the
    first document in source order keeps its keys).
    """
    lower = spec.lower_keys
    found = []
    for key, idx in key_idx:
        parts = (
            values[i].lower() if k in lower else values[i] for k, i in zip(key, idx, strict=True)
        )
        norm = (key, *parts)
        holder = seen.get(norm)
        if holder is not None:
            shown = ", ".join(f"{k}={values[i]!r}" for k, i in zip(key, idx, strict=True))
            return f"natural key {shown} already taken by _id {holder}"
        found.append(norm)
    for norm in found:
        seen[norm] = legacy_id
    return None


@dataclass
class Sent:
    """A batch written in an open transaction, its rows read back, not yet verified."""

    batch: Batch
    counts: dict[str, int]
    entries: list[Entry]
    stored: list[tuple[Any, ...]]
