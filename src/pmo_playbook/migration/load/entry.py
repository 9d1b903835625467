"""A quarantine entry as the encoder builds it: no database, no psycopg.

The encoding worker (pipeline.py) builds entries for the documents it rejects; keeping them out
of `quarantine.py` (which talks to PostgreSQL) keeps psycopg out of the worker's imports, about
half of its start-up CPU.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import bson
from bson import json_util
from bson.codec_options import CodecOptions
from bson.son import SON

from pmo_playbook.migration.codec import document as codec

_LENIENT: CodecOptions[Any] = CodecOptions(
    document_class=SON, tz_aware=True, unicode_decode_error_handler="replace"
)


@dataclass(frozen=True)
class Entry:
    """A document to quarantine (before it is written)."""

    collection: str
    target_table: str | None
    legacy_id: str
    doc_id: str | None
    document: str  # canonical Extended JSON
    reason: str
    position: str
    document_bson_base64: str | None = None  # exact bytes when `document` is not exact


def document_forms(raw: bytes) -> tuple[str, str | None]:
    """(canonical Extended JSON, None), or (best-effort EJSON, base64 bytes) when not exact."""
    try:
        return codec.canonical_ejson(raw), None
    except Exception as exc:  # the codec refuses it: keep the bytes, render what can be read
        try:
            text = json_util.dumps(
                bson.decode(raw, _LENIENT), json_options=json_util.CANONICAL_JSON_OPTIONS
            )
        except Exception:
            text = json.dumps({"$unreadable": str(exc)})
        return text, base64.b64encode(raw).decode("ascii")
