"""Property: every random BSON document comes back byte for byte, in memory and through JSONB.

The documents are built byte by byte by `bson_gen` (not by the codec), with every BSON type.
The PostgreSQL test stores `data` and `annotations` in real jsonb columns of the suite's
PostgreSQL 18, reads them back with psycopg (JSONB reorders keys, drops `.0`-less floats'
negative zero, ...) and decodes what it read.
"""

from __future__ import annotations

from typing import Any

import psycopg
from hypothesis import HealthCheck, given, settings
from psycopg.types.json import Jsonb

from pmo_playbook.documents.registry import shape_of
from pmo_playbook.migration.codec.document import decode_document, encode_document
from tests.support.bson_gen import bson_documents

CHAT = shape_of("chat_histories")


def _no_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, dict):
        return all(_no_nul(k) and _no_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_no_nul(v) for v in value)
    return True


@settings(max_examples=600, deadline=None)
@given(bson_documents())
def test_codec_round_trips_random_documents_in_memory(raw: bytes) -> None:
    for shape in (None, CHAT):
        encoded = encode_document(raw, shape)
        assert "_id" not in encoded.data
        assert _no_nul(encoded.data) and _no_nul(encoded.annotations)
        again = decode_document(encoded.legacy_id, encoded.data, encoded.annotations, shape)
        assert again == raw


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=bson_documents())
def test_codec_round_trips_random_documents_through_postgresql(
    conn: psycopg.Connection[Any], raw: bytes
) -> None:
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS codec_rt (legacy_id text, data jsonb, annotations jsonb)"
    )
    encoded = encode_document(raw, CHAT)
    row = conn.execute(
        "INSERT INTO codec_rt VALUES (%s, %s, %s) RETURNING legacy_id, data, annotations",
        (
            encoded.legacy_id,
            Jsonb(encoded.data),
            Jsonb(encoded.annotations) if encoded.annotations is not None else None,
        ),
    ).fetchone()
    assert row is not None
    assert decode_document(row[0], row[1], row[2], CHAT) == raw
