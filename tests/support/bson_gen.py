"""Random BSON documents as raw bytes, built here byte by byte (independent of the codec).

Every BSON element type is generated, including the ones the `bson` package decodes lossily
(Symbol, Undefined, DBPointer, regex option order, binary subtype 2, `_id` not first), with
extreme numbers and dates, NUL characters in strings, and weird keys (`$x`, `a.b`, empty).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

from hypothesis import strategies as st

Element = tuple[int, bytes]  # (type byte, payload)


def cstring(text: str) -> bytes:
    return text.encode("utf-8") + b"\x00"


def string(text: str) -> bytes:
    data = text.encode("utf-8") + b"\x00"
    return struct.pack("<i", len(data)) + data


def document(elements: list[tuple[str, Element]]) -> bytes:
    body = b"".join(bytes((kind,)) + cstring(key) + payload for key, (kind, payload) in elements)
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


def split_bson_file(path: Path) -> Iterator[bytes]:
    """The documents of a .bson file (int32 length-prefixed, one after the other)."""
    data = path.read_bytes()
    offset = 0
    while offset < len(data):
        (size,) = struct.unpack_from("<i", data, offset)
        yield data[offset : offset + size]
        offset += size


keys = st.one_of(
    st.sampled_from(["a", "b", "_id", "$ref", "$id", "$date", "a.b", "", "$", "createdAt", "é"]),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8),
)
texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", "\x00", "a\x00b\x00", "2025-07-18T10:04:47.000Z", "507f1f77bcf86cd799439011"]
    ),
)
doubles = st.one_of(
    st.floats(),
    st.sampled_from([-0.0, 0.0, 1.0, 1e16, -1e300, 5e-324, 1e15 + 0.5, float("nan"), float("inf")]),
    st.binary(min_size=8, max_size=8).map(lambda b: struct.unpack("<d", b)[0]),
)
int64s = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, 1, -1, 2**31, -(2**31) - 1, 2**53 + 1, -(2**53) - 1]),
)
dates = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-62135596800000 - 10**12, 253402300799999 + 10**12),
    st.sampled_from([0, -1, 1752833087000, -62135596800000, 253402300799999, 253402300800000]),
)
binary_subtypes = st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x80, 0xFF])
regex_options = st.lists(st.sampled_from("imxslu"), unique=True).map("".join)
oids = st.binary(min_size=12, max_size=12)


def _binary(subtype: int, payload: bytes, old_style: bool) -> Element:
    if subtype == 2 and old_style:
        payload = struct.pack("<i", len(payload)) + payload
    return 0x05, struct.pack("<i", len(payload)) + bytes((subtype,)) + payload


scalars: st.SearchStrategy[Element] = st.one_of(
    doubles.map(lambda v: (0x01, struct.pack("<d", v))),
    texts.map(lambda v: (0x02, string(v))),
    st.builds(_binary, binary_subtypes, st.binary(max_size=20), st.booleans()),
    st.just((0x06, b"")),
    oids.map(lambda v: (0x07, v)),
    st.booleans().map(lambda v: (0x08, b"\x01" if v else b"\x00")),
    dates.map(lambda v: (0x09, struct.pack("<q", v))),
    st.just((0x0A, b"")),
    st.builds(
        lambda p, o: (0x0B, cstring(p) + cstring(o)),
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=6),
        regex_options,
    ),
    st.builds(lambda ns, oid: (0x0C, string(ns) + oid), texts, oids),
    texts.map(lambda v: (0x0D, string(v))),
    texts.map(lambda v: (0x0E, string(v))),
    st.integers(-(2**31), 2**31 - 1).map(lambda v: (0x10, struct.pack("<i", v))),
    st.integers(0, 2**64 - 1).map(lambda v: (0x11, struct.pack("<Q", v))),
    int64s.map(lambda v: (0x12, struct.pack("<q", v))),
    st.binary(min_size=16, max_size=16).map(lambda v: (0x13, v)),
    st.just((0xFF, b"")),
    st.just((0x7F, b"")),
)


def _doc_elements(children: st.SearchStrategy[Element]) -> st.SearchStrategy[bytes]:
    return st.lists(st.tuples(keys, children), max_size=5, unique_by=lambda kv: kv[0]).map(document)


def _extend(children: st.SearchStrategy[Element]) -> st.SearchStrategy[Element]:
    def code_with_scope(code: str, scope: bytes) -> Element:
        inner = string(code) + scope
        return 0x0F, struct.pack("<i", len(inner) + 4) + inner

    return st.one_of(
        _doc_elements(children).map(lambda d: (0x03, d)),
        st.lists(children, max_size=5).map(
            lambda items: (0x04, document([(str(i), e) for i, e in enumerate(items)]))
        ),
        st.builds(code_with_scope, texts, _doc_elements(children)),
    )


values: st.SearchStrategy[Element] = st.recursive(scalars, _extend, max_leaves=25)
ids: st.SearchStrategy[Element] = st.one_of(
    oids.map(lambda v: (0x07, v)),
    oids.map(lambda v: (0x07, v)),
    texts.map(lambda v: (0x02, string(v))),
    st.integers(-(2**31), 2**31 - 1).map(lambda v: (0x10, struct.pack("<i", v))),
    int64s.map(lambda v: (0x12, struct.pack("<q", v))),
    values,
)


@st.composite
def bson_documents(draw: st.DrawFn) -> bytes:
    """A random top-level document: usually `_id` first, sometimes elsewhere or absent."""
    fields = draw(
        st.lists(
            st.tuples(keys.filter(lambda k: k != "_id"), values),
            max_size=6,
            unique_by=lambda kv: kv[0],
        )
    )
    where = draw(st.sampled_from(["first", "first", "first", "elsewhere", "absent"]))
    if where != "absent":
        position = 0 if where == "first" else draw(st.integers(0, len(fields)))
        fields.insert(position, ("_id", draw(ids)))
    return document(fields)
