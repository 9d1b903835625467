"""Lossless BSON ⇄ JSONB codec: natural JSON in `data`, exact types in sparse annotations.

`encode_document(raw, shape)` turns one BSON document into its `legacy_id` (the `_id`), the
natural JSON `data` the application reads (ObjectId → 24-hex, date → ISO-8601 ms `Z`, numbers
→ JSON numbers) and `annotations`: only what natural JSON plus the collection's shape
(`documents.registry`) would not decode back exactly (typed values, NUL characters, key
order), or None.
`decode_document(...)` gives back the identical BSON bytes. The format is specified in
docs/data-model.md ("JSONB encoding").

Fast path: the `bson` C codec decodes the document and must re-encode it byte for byte;
the rare documents it cannot reproduce (Symbol, Undefined, DBPointer, regex option order,
`_id` not first, ...) are read exactly by `exact_bson.walk`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import bson
from bson.codec_options import CodecOptions, DatetimeConversion
from bson.datetime_ms import DatetimeMS
from bson.dbref import DBRef
from bson.int64 import Int64
from bson.objectid import ObjectId

from pmo_playbook.documents.registry.shape import Node
from pmo_playbook.errors import InvalidInput
from pmo_playbook.migration.codec import bson_annotate as notes_mod
from pmo_playbook.migration.exact_bson.values import (
    MAX_NATURAL_MS,
    MIN_NATURAL_MS,
    datetime_ms,
    from_ejson,
    ms_to_iso,
    to_ejson,
)
from pmo_playbook.migration.exact_bson.walk import BsonShapeError, read_document, write_document

ANNOTATIONS_VERSION = 1
_T = TypeVar("_T")
Path = tuple[Any, ...]  # object keys (str) and array indexes (int)
_NO_CHILDREN: dict[str, Node] = {}
_DEEP_RECURSION_LIMIT = 20_000
NO_ID_PREFIX = "noid:sha256:"  # legacy_id of a document without `_id` (never a collection's)
_OPTS: CodecOptions[dict[str, Any]] = CodecOptions(
    datetime_conversion=DatetimeConversion.DATETIME_AUTO  # naive UTC datetimes, DatetimeMS beyond
)
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
_HEX24 = re.compile(r"[0-9a-f]{24}")
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_FLOAT_NATURAL_LIMIT = 1e16  # from here on JSON writes `1e+16`, which JSONB returns as an integer


class UnencodableDocument(InvalidInput):
    """A document the codec cannot store exactly (invalid BSON, duplicate keys, no `_id`, …)."""

    code = "UNENCODABLE_DOCUMENT"


@dataclass(frozen=True)
class EncodedDocument:
    """One document as stored: `legacy_id`, natural `data` (no `_id`, no NUL), `annotations`."""

    legacy_id: str
    data: dict[str, Any]
    annotations: dict[str, Any] | None


# --------------------------------------------------------------------------------- reading
def decode_exact(raw: bytes) -> dict[str, Any]:
    """Decode BSON bytes into their exact value model (the C codec when it reproduces the bytes,
    else `exact_bson.walk`); `UnencodableDocument` when no exact model exists."""
    try:
        doc: dict[str, Any] = bson.decode(raw, codec_options=_OPTS)
        if bson.encode(doc, codec_options=_OPTS) == raw:
            return doc
    except Exception:  # noqa: S110 - any C-codec failure falls through to the exact reader
        pass
    try:
        return read_document(raw)
    except BsonShapeError as exc:
        raise UnencodableDocument(f"cannot encode document: {exc}") from exc


def canonical_ejson(raw: bytes) -> str:
    """Canonical Extended JSON v2 of a BSON document, key order preserved (diffs, quarantine)."""
    return deep(lambda: _json_text(to_ejson(decode_exact(raw))))


def _json_text(value: Any) -> str:
    """Compact JSON text (stdlib `json`: orjson stops at 255 levels of nesting)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


# ------------------------------------------------------------------------------- legacy_id
def legacy_id_for(value: Any) -> str:
    """The canonical `_id` text: 24-hex for an ObjectId, canonical Extended JSON otherwise."""
    if isinstance(value, ObjectId):
        return str(value)
    return _json_text(to_ejson(value))


def id_value_from_legacy_id(legacy_id: str) -> Any:
    """The `_id` value of a `legacy_id` (inverse of `legacy_id_for`)."""
    if _HEX24.fullmatch(legacy_id):
        return ObjectId(legacy_id)
    try:
        return from_ejson(json.loads(legacy_id))
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"legacy_id {legacy_id!r} is not a canonical _id: {exc}") from exc


# ------------------------------------------------------------------------------- key order
def _jsonb_key(key: str) -> tuple[int, bytes]:
    data = key.encode("utf-8")
    return len(data), data


def expected_order(keys: Iterable[str], node: Node | None) -> list[str]:
    """The key order decoding produces: the shape's order first, then JSONB order."""
    if node is not None and node.order:
        present = keys if isinstance(keys, dict) else dict.fromkeys(keys)
        known = [k for k in node.order if k in present]
        if len(known) == len(present):
            return known
        rest = sorted((k for k in present if k not in node.order_set), key=_jsonb_key)
        return known + rest
    return sorted(keys, key=_jsonb_key)


def in_expected_order(keys: list[str], node: Node | None) -> bool:
    """Whether `keys` are already in the order decoding produces (one linear pass)."""
    index = node.order_index if node is not None else None
    last_known = -1
    last_other: tuple[int, bytes] | None = None
    for key in keys:
        position = index.get(key) if index else None
        if position is not None:
            if last_other is not None or position < last_known:
                return False
            last_known = position
        else:
            rank = _jsonb_key(key)
            if last_other is not None and rank < last_other:
                return False
            last_other = rank
    return True


def _plain_scalar(kind: type, value: Any) -> bool:
    """A value whose natural JSON is itself wherever it is (no shape, note or path needed)."""
    if kind is str:
        return "\x00" not in value
    return kind is int or kind is bool or value is None


def _object_node(node: Node | None) -> Node | None:
    return node if node is not None and node.kind == "object" else None


# ------------------------------------------------------------------------------- encoding
def natural_date(text: str) -> datetime | None:
    """The date (naive, UTC) a natural ISO string denotes (`2025-07-18T10:04:47.000Z`), or None."""
    if len(text) != 24 or text[10] != "T" or not _ISO.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text[:-1])
    except ValueError:
        return None


class _Encoder:
    """Walks one document's value model, building natural JSON and collecting annotations."""

    def __init__(self) -> None:
        self.values: list[list[Any]] = []
        self.orders: list[list[Any]] = []

    def document(self, doc: dict[str, Any], node: Node | None, path: Path) -> dict[str, Any]:
        node = _object_node(node)
        children = node.children if node is not None else _NO_CHILDREN
        out: dict[str, Any] = {}
        for key, value in doc.items():
            kind = type(value)
            if _plain_scalar(kind, value) and key not in children:
                out[key] = value  # fast path: nothing to check, no path needed
            else:
                out[key] = self.value(value, children.get(key), (*path, key))
        keys = list(doc)
        if not in_expected_order(keys, node):
            self.orders.append([list(path), keys])
        return out

    def value(self, value: Any, node: Node | None, path: Path) -> Any:
        kind = type(value)
        if kind is str:
            return self.string(value, node, path)
        if kind is dict:
            return self.document(value, node, path)
        if kind is list:
            items = node.items if node is not None and node.kind == "array" else None
            return [
                item
                if items is None and _plain_scalar(type(item), item)
                else self.value(item, items, (*path, index))
                for index, item in enumerate(value)
            ]
        if kind is int or kind is bool or value is None:
            return value
        if kind is DBRef:  # the C codec's view of a {$ref, $id, ...} sub-document
            return self.document(dict(value.as_doc()), None, path)
        if kind is float:
            if (
                math.isfinite(value)
                and abs(value) < _FLOAT_NATURAL_LIMIT
                and (value != 0.0 or math.copysign(1.0, value) > 0)
            ):
                return value
            return self.note(path, *notes_mod.double_note(value))
        if kind is datetime:
            iso = value.isoformat(timespec="milliseconds") + "Z"
            if node is not None and node.kind == "date":
                return iso
            return self.note(path, iso, {"$date": {"$numberLong": str(datetime_ms(value))}})
        if kind is DatetimeMS:
            ms = int(value)
            iso = ms_to_iso(ms)
            if node is not None and node.kind == "date" and MIN_NATURAL_MS <= ms <= MAX_NATURAL_MS:
                return iso
            return self.note(path, iso, {"$date": {"$numberLong": str(ms)}})
        if kind is ObjectId:
            if node is not None and node.kind == "objectId":
                return str(value)
            return self.note(path, str(value), {"$oid": str(value)})
        if kind is Int64 and not _INT32_MIN <= value <= _INT32_MAX:
            return int(value)  # decodes back as int64: no annotation needed
        return self.note(path, *notes_mod.exotic_note(value, encode_nested))

    def string(self, value: str, node: Node | None, path: Path) -> Any:
        if "\x00" in value:
            return self.note(path, value.replace("\x00", "\ufffd"), notes_mod.safe_str(value))
        if node is not None and (
            (node.kind == "date" and natural_date(value) is not None)
            or (node.kind == "objectId" and _HEX24.fullmatch(value))
        ):
            return self.note(path, value, value)
        return value

    def note(self, path: Path, data_value: Any, annotation: Any) -> Any:
        self.values.append([list(path), annotation])
        return data_value

    def annotations(self) -> dict[str, Any] | None:
        if not self.values and not self.orders:
            return None
        result: dict[str, Any] = {"v": ANNOTATIONS_VERSION}
        if self.values:
            result["values"] = self.values
        if self.orders:
            result["orders"] = self.orders
        return result


def encode_nested(doc: dict[str, Any]) -> dict[str, Any]:
    """A sub-document kept whole inside an annotation (CodeWithScope scope, exotic `_id`)."""
    encoder = _Encoder()
    data = encoder.document(doc, None, ())
    return {"data": data, "annotations": encoder.annotations()}


def encode_document(raw: bytes, shape: Node | None = None) -> EncodedDocument:
    """Encode one BSON document; `UnencodableDocument` when it cannot be stored exactly."""
    return deep(_encode_document, raw, shape)


def deep(function: Callable[..., _T], *args: Any) -> _T:
    """Run `function`; on RecursionError (BSON nested hundreds deep) retry with a deeper stack."""
    try:
        return function(*args)
    except RecursionError:
        previous = sys.getrecursionlimit()
        sys.setrecursionlimit(max(previous, _DEEP_RECURSION_LIMIT))
        try:
            return function(*args)
        except RecursionError as exc:
            raise UnencodableDocument("document is nested too deeply to encode") from exc
        finally:
            sys.setrecursionlimit(previous)


def _encode_document(raw: bytes, root: Node | None) -> EncodedDocument:
    doc = decode_exact(raw)
    encoder = _Encoder()
    data: dict[str, Any] = {}
    for key, value in doc.items():
        if key != "_id":
            data[key] = encoder.value(value, root.children.get(key) if root else None, (key,))
    has_id = "_id" in doc
    keys = list(doc)
    if has_id:
        natural_order = keys[0] == "_id" and in_expected_order(keys[1:], root)
    else:
        natural_order = in_expected_order(keys, root)
    if not natural_order:
        encoder.orders.append([[], keys])
    annotations = encoder.annotations()
    if not has_id:
        # Not a MongoDB collection document (bsondump test files have some): keyed by content.
        annotations = {**(annotations or {"v": ANNOTATIONS_VERSION}), "noId": True}
        return EncodedDocument(NO_ID_PREFIX + hashlib.sha256(raw).hexdigest(), data, annotations)
    id_value = doc["_id"]
    legacy_id = legacy_id_for(id_value)
    if not isinstance(id_value, ObjectId) and not _id_round_trips(legacy_id, id_value):
        annotations = annotations or {"v": ANNOTATIONS_VERSION}
        annotations["id"] = encode_nested({"_id": id_value})
    return EncodedDocument(legacy_id, data, annotations)


def _id_round_trips(legacy_id: str, id_value: Any) -> bool:
    try:
        again = id_value_from_legacy_id(legacy_id)
        return write_document({"_id": again}) == write_document({"_id": id_value})
    except (InvalidInput, BsonShapeError, ValueError, TypeError):
        return False


# ------------------------------------------------------------------------------- decoding
class _Decoder:
    """Rebuilds the value model from natural JSON, the shape and the annotations."""

    def __init__(self, annotations: dict[str, Any] | None) -> None:
        self.values: dict[tuple[Any, ...], Any] = {}
        self.orders: dict[tuple[Any, ...], list[str]] = {}
        self.exotic = False  # True when only the pure-Python writer can produce the bytes
        if annotations:
            for path, note in annotations.get("values", ()):
                self.values[tuple(path)] = note
            for path, keys in annotations.get("orders", ()):
                self.orders[tuple(path)] = keys
        self.tracking = bool(self.values or self.orders)

    def document(self, data: dict[str, Any], node: Node | None, path: Path) -> dict[str, Any]:
        node = _object_node(node)
        children = node.children if node is not None else _NO_CHILDREN
        out: dict[str, Any] = {}
        tracking = self.tracking
        for key in self.order_of(data, node, path):
            value = data[key]
            if not tracking and key not in children and _plain_scalar(type(value), value):
                out[key] = value
            else:
                out[key] = self.value(value, children.get(key), (*path, key))
        return out

    def order_of(self, data: dict[str, Any], node: Node | None, path: Path) -> list[str]:
        """Annotated order (keys still present) then any other key in the natural order."""
        natural = expected_order(data, node)
        recorded = self.orders.get(path) if self.tracking else None
        if recorded is None:
            return natural
        listed = [k for k in recorded if k in data]
        seen = set(listed)
        return listed + [k for k in natural if k not in seen]

    def value(self, value: Any, node: Node | None, path: Path) -> Any:
        if self.tracking and path in self.values:
            return self.note(self.values[path])
        kind = type(value)
        if kind is str:
            if node is not None:
                if node.kind == "date":
                    when = natural_date(value)
                    if when is not None:
                        return when
                elif node.kind == "objectId" and _HEX24.fullmatch(value):
                    return ObjectId(value)
            return value
        if kind is dict:
            return self.document(value, node, path)
        if kind is list:
            items = node.items if node is not None and node.kind == "array" else None
            return [self.value(item, items, (*path, index)) for index, item in enumerate(value)]
        if kind is int or kind is float or kind is bool or value is None:
            return value
        raise InvalidInput(f"data at {path!r} holds a {kind.__name__}, not a JSON value")

    def note(self, note: Any) -> Any:
        value, exotic = notes_mod.value_of_note(note, decode_nested_model)
        self.exotic = self.exotic or exotic
        return value


def decode_nested_model(nested: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The value model of a sub-document kept by `encode_nested`, and whether it is exotic."""
    decoder = _Decoder(nested.get("annotations"))
    doc = decoder.document(nested["data"], None, ())
    return doc, decoder.exotic


def decode_document(
    legacy_id: str,
    data: dict[str, Any],
    annotations: dict[str, Any] | None,
    shape: Node | None = None,
) -> bytes:
    """The exact BSON bytes of a stored document (inverse of `encode_document`)."""
    return deep(_decode_document, legacy_id, data, annotations, shape)


def _decode_document(
    legacy_id: str,
    data: dict[str, Any],
    annotations: dict[str, Any] | None,
    root: Node | None,
) -> bytes:
    decoder = _Decoder(annotations)
    if annotations and annotations.get("noId"):
        body = _body(decoder, data, root)
        return _write(body, decoder.exotic, legacy_id)
    if annotations and "id" in annotations:
        id_doc, exotic = decode_nested_model(annotations["id"])
        id_value = id_doc["_id"]
        decoder.exotic = decoder.exotic or exotic
    else:
        id_value = id_value_from_legacy_id(legacy_id)
    if type(id_value) not in (ObjectId, str, int):
        decoder.exotic = True  # an _id parsed from EJSON may hold Symbol, Undefined, ...
    body = _body(decoder, data, root)
    recorded = decoder.orders.get(()) if decoder.tracking else None
    if recorded is not None and "_id" in recorded:
        doc = {k: id_value if k == "_id" else body[k] for k in recorded if k == "_id" or k in body}
        doc.update((k, v) for k, v in body.items() if k not in doc)
        decoder.exotic = decoder.exotic or recorded[0] != "_id"
    else:
        doc = {"_id": id_value, **body}
    return _write(doc, decoder.exotic, legacy_id)


class _NotJson(Exception):
    """A value `_plain_document` does not handle: the general decoder names it."""


def _body(decoder: _Decoder, data: dict[str, Any], root: Node | None) -> dict[str, Any]:
    """The decoded fields: the path-free walk when nothing is annotated, else the general one."""
    if not decoder.tracking:
        try:
            return _plain_document(data, root)
        except _NotJson:
            pass  # the general walk raises the error that names the path
    return decoder.document(data, root, ())


def _plain_document(data: dict[str, Any], node: Node | None) -> dict[str, Any]:
    """`_Decoder.document` without annotations (no path tuples, no per-value calls).

    Same result by construction: the same key order (`expected_order`), strings turned into a
    date or an ObjectId only at a `date`/`objectId` node and only when `natural_date`/`_HEX24`
    accept them, every other JSON value kept as is. `tests/migration_codec/
    test_plain_decoder.py` checks it against the general walk on random values and shapes.
    """
    node = _object_node(node)
    children = node.children if node is not None else _NO_CHILDREN
    out: dict[str, Any] = {}
    for key in expected_order(data, node):
        value = data[key]
        kind = type(value)
        if kind is str:
            sub = children.get(key) if children else None
            out[key] = value if sub is None else _plain_string(value, sub)
        elif kind is dict:
            out[key] = _plain_document(value, children.get(key))
        elif kind is list:
            out[key] = _plain_list(value, children.get(key))
        elif kind is int or kind is float or kind is bool or value is None:
            out[key] = value
        else:
            raise _NotJson
    return out


def _plain_list(values: list[Any], node: Node | None) -> list[Any]:
    items = node.items if node is not None and node.kind == "array" else None
    out: list[Any] = []
    for value in values:
        kind = type(value)
        if kind is str:
            out.append(value if items is None else _plain_string(value, items))
        elif kind is dict:
            out.append(_plain_document(value, items))
        elif kind is list:
            out.append(_plain_list(value, items))
        elif kind is int or kind is float or kind is bool or value is None:
            out.append(value)
        else:
            raise _NotJson
    return out


def _plain_string(value: str, node: Node) -> Any:
    if node.kind == "date":
        when = natural_date(value)
        return value if when is None else when
    if node.kind == "objectId" and _HEX24.fullmatch(value):
        return ObjectId(value)
    return value


def _write(doc: dict[str, Any], exotic: bool, legacy_id: str) -> bytes:
    """BSON bytes of a decoded model: the C codec unless only the exact writer can do it."""
    try:
        if exotic:
            return write_document(doc)
        return bson.encode(doc, codec_options=_OPTS)
    except (BsonShapeError, bson.errors.InvalidDocument, OverflowError, ValueError) as exc:
        raise InvalidInput(f"document {legacy_id} cannot be written as BSON: {exc}") from exc
