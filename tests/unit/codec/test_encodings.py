"""The documented natural forms and annotation forms (docs/data-model.md, "JSONB encoding")."""

from __future__ import annotations

import datetime as dt
import struct

import bson
import pytest
from bson.binary import Binary
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.timestamp import Timestamp

from pmo_playbook.documents.registry import shape_of
from pmo_playbook.errors import InvalidInput
from pmo_playbook.migration.codec.document import (
    UnencodableDocument,
    canonical_ejson,
    decode_document,
    encode_document,
    id_value_from_legacy_id,
    legacy_id_for,
)
from tests.support.bson_gen import cstring, document, string

OID = ObjectId("687a1c3f5748b4cfe9955de0")
UTC = dt.UTC


def _enc(doc: dict, collection: str | None = None):
    raw = bson.encode({"_id": OID, **doc})
    shape = shape_of(collection) if collection else None
    encoded = encode_document(raw, shape)
    assert decode_document(encoded.legacy_id, encoded.data, encoded.annotations, shape) == raw
    return encoded


def test_codec_natural_legacy_document_has_no_annotations() -> None:
    when = dt.datetime(2025, 7, 18, 10, 4, 47, tzinfo=UTC)
    encoded = _enc(
        {
            "sessionId": "s-1",
            "messages": [{"role": "user", "content": "hi", "timestamp": when}],
            "status": "active",
            "startedAt": when,
            "lastActive": when,
            "createdAt": when,
            "updatedAt": when,
            "__v": 0,
        },
        "chat_histories",
    )
    assert encoded.legacy_id == "687a1c3f5748b4cfe9955de0"
    assert encoded.annotations is None
    assert encoded.data["startedAt"] == "2025-07-18T10:04:47.000Z"
    assert encoded.data["messages"][0]["timestamp"] == "2025-07-18T10:04:47.000Z"
    assert encoded.data["__v"] == 0


def test_codec_date_outside_the_shape_is_natural_text_plus_annotation() -> None:
    encoded = _enc({"when": dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)})
    assert encoded.data == {"when": "1969-12-31T23:59:59.999Z"}
    assert encoded.annotations == {"v": 1, "values": [[["when"], {"$date": {"$numberLong": "-1"}}]]}


def test_codec_date_beyond_year_9999_uses_expanded_year() -> None:
    raw = document([("_id", (0x07, OID.binary)), ("d", (0x09, struct.pack("<q", 253402300800000)))])
    encoded = encode_document(raw, shape_of("users"))
    assert encoded.data == {"d": "+010000-01-01T00:00:00.000Z"}
    assert decode_document(encoded.legacy_id, encoded.data, encoded.annotations) == raw


def test_codec_object_id_at_a_typed_path_is_plain_hex() -> None:
    human = ObjectId("67c41e10485c11ab26479a55")
    encoded = _enc({"sopId": "SOP-001", "humanSopId": human}, "agent_sops")
    assert encoded.data["humanSopId"] == "67c41e10485c11ab26479a55"
    assert encoded.annotations is None


def test_codec_string_that_looks_like_a_date_at_a_date_path_stays_a_string() -> None:
    encoded = _enc({"sessionId": "s", "startedAt": "2025-07-18T10:04:47.000Z"}, "chat_histories")
    assert encoded.data["startedAt"] == "2025-07-18T10:04:47.000Z"
    assert encoded.annotations == {"v": 1, "values": [[["startedAt"], "2025-07-18T10:04:47.000Z"]]}


def test_codec_small_int64_is_annotated_and_large_int64_is_natural() -> None:
    encoded = _enc({"big": Int64(2**53 + 1), "i32": 7, "small": Int64(5)})  # JSONB key order
    assert encoded.data == {"small": 5, "big": 2**53 + 1, "i32": 7}
    assert encoded.annotations == {"v": 1, "values": [[["small"], {"$numberLong": "5"}]]}


@pytest.mark.parametrize(
    ("value", "data", "text"),
    [
        (float("nan"), None, "NaN"),
        (float("-inf"), None, "-Infinity"),
        (-0.0, 0.0, "-0.0"),
        (1e16, 1e16, "1e+16"),
    ],
)
def test_codec_doubles_json_cannot_return_are_annotated(value: float, data, text: str) -> None:
    encoded = _enc({"x": value})
    assert encoded.data == {"x": data}
    assert encoded.annotations == {"v": 1, "values": [[["x"], {"$numberDouble": text}]]}


def test_codec_integral_double_stays_a_natural_float() -> None:
    encoded = _enc({"x": 1.0, "y": 2.5})
    assert encoded.data == {"x": 1.0, "y": 2.5}
    assert type(encoded.data["x"]) is float
    assert encoded.annotations is None


def test_codec_nul_in_a_string_is_replaced_in_data_and_kept_in_annotations() -> None:
    encoded = _enc({"s": "a\x00b"})
    assert encoded.data == {"s": "a\ufffdb"}
    assert encoded.annotations == {"v": 1, "values": [[["s"], {"$nul": ["a", "b"]}]]}


def test_codec_binary_uuid_decimal_and_timestamp_forms() -> None:
    uid = bytes(range(16))
    encoded = _enc(
        {
            "u": Binary(uid, 4),
            "b": Binary(b"\xff\xff", 0x80),
            "d": Decimal128("-0"),
            "t": Timestamp(5, 7),
        }
    )
    assert encoded.data == {
        "u": "00010203-0405-0607-0809-0a0b0c0d0e0f",
        "b": "//8=",
        "d": "-0",
        "t": {"t": 5, "i": 7},
    }
    notes = dict((p[0], n) for p, n in encoded.annotations["values"])
    assert notes["u"] == {"$binary": {"base64": "AAECAwQFBgcICQoLDA0ODw==", "subType": "04"}}
    assert notes["b"] == {"$binary": {"base64": "//8=", "subType": "80"}}
    assert notes["d"] == {"$numberDecimal": "-0"}
    assert notes["t"] == {"$timestamp": {"t": 5, "i": 7}}


def test_codec_regex_keeps_its_option_order() -> None:
    raw = document([("_id", (0x07, OID.binary)), ("r", (0x0B, cstring("^a") + cstring("xi")))])
    encoded = encode_document(raw)
    assert encoded.data == {"r": "/^a/xi"}
    assert encoded.annotations == {
        "v": 1,
        "values": [[["r"], {"$regularExpression": {"pattern": "^a", "options": "xi"}}]],
    }
    assert decode_document(encoded.legacy_id, encoded.data, encoded.annotations) == raw


def test_codec_symbol_is_not_confused_with_a_string() -> None:
    raw = document([("_id", (0x07, OID.binary)), ("s", (0x0E, string("sym")))])
    encoded = encode_document(raw)
    assert encoded.data == {"s": "sym"}
    assert encoded.annotations == {"v": 1, "values": [[["s"], {"$symbol": "sym"}]]}
    assert decode_document(encoded.legacy_id, encoded.data, encoded.annotations) == raw


def test_codec_key_order_is_recorded_only_where_decoding_would_differ() -> None:
    encoded = _enc({"bb": 1, "a": 2, "$x": 3, "a.b": 4, "": 5})
    assert encoded.annotations == {"v": 1, "orders": [[[], ["_id", "bb", "a", "$x", "a.b", ""]]]}
    assert _enc({"": 5, "a": 2, "bb": 1}).annotations is None  # already JSONB order


@pytest.mark.parametrize(
    ("value", "legacy_id"),
    [
        (OID, "687a1c3f5748b4cfe9955de0"),
        ("abc", '"abc"'),
        (5, '{"$numberInt":"5"}'),
        (Int64(5), '{"$numberLong":"5"}'),
        ({"b": 1, "a": "x"}, '{"b":{"$numberInt":"1"},"a":"x"}'),
        ("687a1c3f5748b4cfe9955de0", '"687a1c3f5748b4cfe9955de0"'),
    ],
)
def test_codec_legacy_id_is_canonical_and_reversible(value, legacy_id: str) -> None:
    assert legacy_id_for(value) == legacy_id
    again = id_value_from_legacy_id(legacy_id)
    assert again == value and type(again) is type(value)
    raw = bson.encode({"_id": value, "x": 1})
    encoded = encode_document(raw)
    assert encoded.legacy_id == legacy_id
    assert decode_document(encoded.legacy_id, encoded.data, encoded.annotations) == raw


def test_codec_canonical_ejson_keeps_order_and_types() -> None:
    raw = document(
        [
            ("_id", (0x10, struct.pack("<i", 3))),
            ("z", (0x06, b"")),
            ("a", (0x12, struct.pack("<q", 1))),
        ]
    )
    assert canonical_ejson(raw) == (
        '{"_id":{"$numberInt":"3"},"z":{"$undefined":true},"a":{"$numberLong":"1"}}'
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\x05\x00\x00", "truncated"),
        (
            document([("a", (0x10, b"\x01\x00\x00\x00")), ("a", (0x10, b"\x02\x00\x00\x00"))]),
            "duplicate key 'a'",
        ),
        (document([("s", (0x02, b"\x03\x00\x00\x00\xff\xfe\x00"))]), "not valid UTF-8"),
        (document([("x", (0x42, b""))]), "unknown BSON type 0x42"),
    ],
)
def test_codec_unencodable_document_names_the_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(UnencodableDocument, match=reason) as info:
        encode_document(raw)
    assert isinstance(info.value, InvalidInput)


def test_codec_document_without_id_round_trips_with_a_content_key() -> None:
    raw = bson.encode({"a": 1})
    encoded = encode_document(raw)
    assert encoded.legacy_id.startswith("noid:sha256:")
    assert encoded.annotations == {"v": 1, "noId": True}
    assert decode_document(encoded.legacy_id, encoded.data, encoded.annotations) == raw


def test_codec_decodes_an_application_written_row_in_legacy_shape() -> None:
    """A row the app created (no annotations): dates come back as BSON dates, schema order."""
    data = {
        "lastLogin": "2025-05-14T14:56:25.000Z",
        "email": "a@example.org",
        "userId": "U-1",
        "createdAt": "2025-03-21T00:18:10.000Z",
        "extra": True,
    }
    raw = decode_document(str(OID), data, None, shape_of("users"))
    doc = bson.decode(raw, codec_options=bson.CodecOptions(tz_aware=True))
    assert list(doc) == ["_id", "userId", "email", "createdAt", "lastLogin", "extra"]
    assert doc["lastLogin"] == dt.datetime(2025, 5, 14, 14, 56, 25, tzinfo=UTC)
    assert doc["_id"] == OID


def test_year_one_date_is_zero_padded_and_round_trips() -> None:
    """Regression: strftime's %Y wrote year 1 as "1-01-01…", which decoding could not read."""
    import bson as _bson

    from pmo_playbook.documents.registry import shape_of
    from pmo_playbook.migration.codec.document import decode_document, encode_document

    raw = _bson.encode({"_id": 1, "createdAt": _bson.DatetimeMS(-62135596800000)})
    shape = shape_of("chat_histories")
    encoded = encode_document(raw, shape)
    assert encoded.data["createdAt"] == "0001-01-01T00:00:00.000Z"
    assert decode_document(encoded.legacy_id, encoded.data, encoded.annotations, shape) == raw
