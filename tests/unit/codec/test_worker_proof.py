"""The cheaper proof of the loader's worker proves the same thing as before.

- `codec._plain_document` (the decoder's walk when nothing is annotated) must build exactly the
  value model of the general `_Decoder.document` walk: same keys, same key order, same types.
  Checked on random JSON values over keys and strings chosen to hit the shapes' date and
  ObjectId paths (ISO dates, near-dates, 24-hex strings).
- `fastpath.encode_fast` may annotate a root field order itself; whenever it accepts a document,
  the full encoder must give the identical `data` and annotation texts, and the real decoder the
  identical bytes. Checked on random BSON documents (`bson_gen`, every type) and on chat and
  feedback documents with their fields shuffled (root and nested).
- `fastpath.unsafe_for_jsonb` must flag exactly what the round-3 single regex flagged.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import bson
from bson import ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_playbook.documents.registry import COLLECTIONS, shape_of
from pmo_playbook.migration.codec import document as codec
from pmo_playbook.migration.codec.fastpath import canonical, encode_fast, unsafe_for_jsonb
from tests.support.bson_gen import bson_documents

_KEYS = st.sampled_from(
    ["_id", "messages", "timestamp", "createdAt", "updatedAt", "lastUsed", "sopUsage", "date",
     "humanSopId", "keyDatesMilestones", "metadata", "sections", "role", "content", "x", "é",
     "aa", "b", "lastSyncedAt", "conversationContext", "reviewHistory", "__v"]
)  # fmt: skip
_STRINGS = st.one_of(
    st.text(max_size=6),
    st.sampled_from(
        ["2024-01-01T00:00:00.000Z", "2024-02-30T00:00:00.000Z", "2024-01-01T00:00:00Z",
         "9999-12-31T23:59:59.999Z", "0001-01-01T00:00:00.000Z", "65a1b2c3d4e5f60718293a4b",
         "65A1B2C3D4E5F60718293A4B", "65a1b2c3d4e5f60718293a4"]
    ),
)  # fmt: skip
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False), _STRINGS,
)  # fmt: skip
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=6)),
    max_leaves=30,
)


def _model_repr(value: Any) -> Any:
    """The value model with key order and exact types made explicit (dict equality ignores
    order; 1 == 1.0 == True)."""
    if isinstance(value, dict):
        return ("dict", [(k, _model_repr(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_model_repr(v) for v in value])
    return (type(value).__name__, repr(value))


@settings(max_examples=800, deadline=None)
@given(
    st.dictionaries(_KEYS, _JSON, max_size=8),
    st.sampled_from([None, *sorted(n for c in COLLECTIONS for n in c.names)]),
)
def test_plain_walk_builds_the_general_walks_model(data: dict[str, Any], name: str | None) -> None:
    shape = shape_of(name) if name else None
    root = shape
    general = codec._Decoder(None).document(data, root, ())
    plain = codec._plain_document(data, root)
    assert _model_repr(plain) == _model_repr(general)


def test_plain_walk_converts_only_at_typed_paths() -> None:
    shape = shape_of("chat_histories")
    assert shape is not None
    data = {
        "summary": "2024-01-01T00:00:00.000Z",
        "messages": [{"timestamp": "2024-01-01T00:00:00.000Z", "content": "65a1b2c3d4e5f60718293a4b"}],
        "startedAt": "2024-02-30T00:00:00.000Z",
    }  # fmt: skip
    model = codec._plain_document(data, shape)
    assert model["summary"] == "2024-01-01T00:00:00.000Z"
    assert model["messages"][0]["timestamp"] == datetime(2024, 1, 1)
    assert model["messages"][0]["content"] == "65a1b2c3d4e5f60718293a4b"
    assert model["startedAt"] == "2024-02-30T00:00:00.000Z"  # not a date: stays a string
    assert list(model) == ["messages", "startedAt", "summary"]  # shape order, then the rest


def _check_fast(raw: bytes, name: str | None) -> bool:
    """Assert the fast encoder agrees with the full one whenever it accepts; True if it did."""
    shape = shape_of(name) if name else None
    fast = encode_fast(raw, shape)
    if fast is None:
        return False
    legacy_id, data_text, data, notes_text = fast
    full = codec.encode_document(raw, shape)
    assert legacy_id == full.legacy_id
    assert data_text == canonical(full.data)
    assert notes_text == (canonical(full.annotations) if full.annotations is not None else None)
    notes = json.loads(notes_text) if notes_text is not None else None
    assert codec.decode_document(legacy_id, data, notes, shape) == raw
    return True


@settings(max_examples=400, deadline=None)
@given(bson_documents(), st.sampled_from([None, "chat_histories", "message_feedback"]))
def test_fast_encoder_agrees_with_the_full_encoder_on_random_bson(raw: bytes, name: str) -> None:
    _check_fast(raw, name)


def _chat(permutation: list[int], message_order: list[int]) -> bytes:
    t = datetime(2024, 5, 1, 8, 0, 0, 250000)
    message = {"role": "user", "content": "hi", "timestamp": t, "confidence": 0.5}
    mkeys = list(message)
    fields: dict[str, Any] = {
        "sessionId": "s-1",
        "messages": [{mkeys[i]: message[mkeys[i]] for i in message_order}],
        "status": "active",
        "startedAt": t,
        "createdAt": t,
        "updatedAt": t,
        "__v": 0,
        "extra": "not in the schema",
    }
    keys = list(fields)
    return bson.encode({"_id": ObjectId(), **{keys[i]: fields[keys[i]] for i in permutation}})


@settings(max_examples=200, deadline=None)
@given(st.permutations(range(8)), st.permutations(range(4)))
def test_fast_encoder_on_shuffled_chat_documents(root: list[int], nested: list[int]) -> None:
    raw = _chat(root, nested)
    accepted = _check_fast(raw, "chat_histories")
    full = codec.encode_document(raw, shape_of("chat_histories"))
    nested_orders = [p for p, _ in (full.annotations or {}).get("orders", []) if p]
    # Only a nested order (which the fast path never writes) or nothing else sends it away.
    assert accepted == (not nested_orders)


def test_fast_encoder_annotates_a_root_order_like_the_full_encoder() -> None:
    t = datetime(2024, 1, 1)
    doc = {"_id": ObjectId(), "messageId": "m", "sessionId": "s", "rating": "helpful",
           "feedbackReason": "because", "createdAt": t, "updatedAt": t, "__v": 0}  # fmt: skip
    raw = bson.encode(doc)
    assert _check_fast(raw, "message_feedback")
    fast = encode_fast(raw, shape_of("message_feedback"))
    assert fast is not None and fast[3] is not None
    assert json.loads(fast[3]) == {"orders": [[[], list(doc)]], "v": 1}


_ROUND3_UNSAFE = re.compile(rb"\\u0000|-0\.0(?![0-9])|[0-9]e\+")


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b"\\u0000", b"\\n", b"-0.0", b"-0.05", b"1e+16", b"e+", b"+",
                                 b"-", b"0", b".", b"\\", b"u0000", b"a", b"9e", b"-0.0e"]),
                max_size=12))  # fmt: skip
def test_unsafe_scan_flags_what_the_round3_regex_flagged(parts: list[bytes]) -> None:
    text = b"".join(parts)
    assert unsafe_for_jsonb(text) == (_ROUND3_UNSAFE.search(text) is not None)
