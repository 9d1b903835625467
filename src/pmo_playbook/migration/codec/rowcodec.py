"""The codec as the loader, verifier and exporter use it: one collection, its shape, its columns.

A thin adapter over `document.py`: it binds the collection's shape (`documents.registry`),
derives the canonical Extended JSON of `_id` for quarantine entries, and compares a stored row
with the source bytes (decoded document AND re-derived typed columns), naming the
differing field paths when they differ.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

import bson
from bson import json_util
from bson.codec_options import CodecOptions
from bson.son import SON

from pmo_playbook.documents.registry import shape_of
from pmo_playbook.documents.registry.columns import TableSpec
from pmo_playbook.documents.registry.shape import Node
from pmo_playbook.migration.codec import document as codec
from pmo_playbook.migration.codec.fastpath import canonical

_RAW_OPTIONS: CodecOptions[Any] = CodecOptions(document_class=SON, tz_aware=True)
_MAX_PATHS = 10


class RowCodec:
    """Encode/decode documents of one source collection into rows of its table."""

    def __init__(self, collection: str, spec: TableSpec) -> None:
        self.collection = collection
        self.spec = spec
        self.shape: Node | None = shape_of(collection)
        names = spec.column_names
        self._compared = [names.index(n) for n in spec.compared_columns]
        # The compared values of a staged row (ord, legacy_id, data, notes, *values) as one
        # tuple: a stored row's columns are then checked by one C-level tuple comparison.
        picks = [4 + i for i in self._compared]
        pick = itemgetter(*picks) if picks else None
        self._staged_values: Callable[[tuple[Any, ...]], tuple[Any, ...]] = (
            (lambda staged: ())
            if pick is None
            else (lambda staged: (pick(staged),))
            if len(picks) == 1
            else pick
        )

    def encode(self, raw: bytes) -> codec.EncodedDocument:
        return codec.encode_document(raw, self.shape)

    def decode(self, legacy_id: str, data: dict[str, Any], annotations: Any) -> bytes:
        return codec.decode_document(legacy_id, data, annotations, self.shape)

    def ejson(self, raw: bytes) -> str:
        return codec.canonical_ejson(raw)

    def id_value(self, legacy_id: str) -> Any:
        return codec.id_value_from_legacy_id(legacy_id)

    def doc_id_ejson(self, legacy_id: str) -> str:
        """The `_id` as canonical Extended JSON (for quarantine entries)."""
        return json_util.dumps(
            {"_id": self.id_value(legacy_id)}, json_options=json_util.CANONICAL_JSON_OPTIONS
        )[len('{"_id": ') : -1]

    def legacy_id_of(self, raw: bytes) -> str | None:
        """The canonical `_id` text of a raw document (None when it has none)."""
        if raw[4:9] == b"\x07_id\x00":  # the usual case: an ObjectId `_id` first
            return raw[9:21].hex()
        doc = codec.decode_exact(raw)
        return codec.legacy_id_for(doc["_id"]) if "_id" in doc else None

    def columns_of(self, data: dict[str, Any], legacy_id: str) -> tuple[Any, ...]:
        """The compared typed columns, re-derived from `data`."""
        values = self.spec.extract(data, legacy_id)
        return tuple(values[i] for i in self._compared)

    def row_differences(self, row: Sequence[Any], raw: bytes) -> list[str]:
        """Paths where a stored row (legacy_id, data, annotations, *cols) differs from `raw`."""
        legacy_id, data, annotations = row[0], row[1], row[2]
        try:
            decoded = self.decode(legacy_id, data, annotations)
        except Exception as exc:  # a row the codec cannot decode is a difference, named
            return [f"(row cannot be decoded: {exc})"]
        paths = [] if decoded == raw else diff_paths(raw, decoded)
        if decoded != raw and not paths:
            paths = ["(byte-level difference: key order or types)"]
        try:
            derived = self.columns_of(data, legacy_id)
        except Exception as exc:
            return [*paths, f"(columns cannot be derived: {exc})"]
        stored = tuple(row[3:])
        names = self.spec.compared_columns
        paths += [f"column {n}" for n, a, b in zip(names, derived, stored, strict=True) if a != b]
        return paths

    def verify_stored(
        self,
        stored: list[tuple[Any, ...]],
        expected: dict[int, tuple[Any, ...]],
        unverified: set[int],
        raw_by_ord: dict[int, bytes],
    ) -> tuple[int, list[tuple[str, list[str]]]]:
        """(identical, [(legacy_id, paths)]) for rows read back as (ord, *row), by staged row.

        `expected[ord]` is the staged row (ord, legacy_id, data JSON, annotations JSON,
        *values) whose JSON the codec already decoded to the source bytes in memory (unless
        `ord` is in `unverified`). A stored row whose JSON values are canonically equal to the
        staged ones decodes to the same bytes (the decoder is a function of the JSON value), and
        its typed columns must equal the values derived from that same JSON. Anything else is
        checked the slow way (decode what PostgreSQL returned, diff against the source).
        """
        identical, different = 0, []
        for row in stored:
            ord_ = row[0]
            if ord_ not in unverified and self._same_as_staged(row, expected[ord_]):
                identical += 1
                continue
            paths = self.row_differences(row[1:], raw_by_ord[ord_])
            if paths:
                different.append((row[1], paths))
            else:
                identical += 1
        return identical, different

    def _same_as_staged(self, row: tuple[Any, ...], staged: tuple[Any, ...]) -> bool:
        try:
            if row[1] != staged[1] or canonical(row[2]) != staged[2]:
                return False
            if (row[3] is None) != (staged[3] is None):
                return False
            if staged[3] is not None and canonical(row[3]) != staged[3]:
                return False
        except Exception:  # e.g. a value canonical() cannot write: the slow path says why
            return False
        return row[4:] == self._staged_values(staged)


def diff_paths(a: bytes, b: bytes) -> list[str]:
    """Field paths where two BSON documents differ (value, type or key order), first few."""
    out: list[str] = []
    _diff(bson.decode(a, _RAW_OPTIONS), bson.decode(b, _RAW_OPTIONS), "", out)
    return out[:_MAX_PATHS]


def _diff(x: Any, y: Any, path: str, out: list[str]) -> None:
    if len(out) >= _MAX_PATHS:
        return
    if isinstance(x, dict) and isinstance(y, dict):
        for key in dict.fromkeys([*x.keys(), *y.keys()]):
            sub = f"{path}.{key}" if path else str(key)
            if key not in x or key not in y:
                out.append(sub)
            else:
                _diff(x[key], y[key], sub, out)
        if not out and list(x.keys()) != list(y.keys()):
            out.append(f"{path or '(root)'} (key order)")
    elif isinstance(x, list) and isinstance(y, list):
        if len(x) != len(y):
            out.append(f"{path} (length {len(x)} vs {len(y)})")
        for i, (p, q) in enumerate(zip(x, y, strict=False)):
            _diff(p, q, f"{path}.{i}", out)
    elif (type(x) is not type(y) or x != y) and not _both_nan(x, y):
        out.append(path or "(root)")


def _both_nan(x: Any, y: Any) -> bool:
    return type(x) is type(y) and x != x and y != y
