"""`pmo migrate quarantine retry`: re-validate and load quarantined documents.

Each stored document (canonical Extended JSON, turned back into its exact BSON bytes) goes through
the same path as a batch of the loader: encode, derive columns, conflict anti-join, upsert,
read-back. On success the loader marks the entry resolved; on failure the entry keeps its place
with the new reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import bson
from bson import json_util
from bson.son import SON

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration import quarantine
from pmo_playbook.migration.batch import prepare_batch
from pmo_playbook.migration.loader import write_batch
from pmo_playbook.migration.rowcodec import RowCodec
from pmo_playbook.migration.run import open_connection, target_for
from pmo_playbook.migration.sources.base import SourceDocument

_EJSON = json_util.CANONICAL_JSON_OPTIONS.with_options(document_class=SON, tz_aware=True)


@dataclass(frozen=True)
class RetryResult:
    id: int
    collection: str
    legacy_id: str
    stored: bool
    reason: str | None  # why it is still quarantined


def raw_from_ejson(text: str) -> bytes:
    """The exact BSON bytes of a canonical Extended JSON document."""
    return bson.encode(json_util.loads(text, json_options=_EJSON))


def retry(url: DatabaseUrl, ids: list[int] | None) -> list[RetryResult]:
    """Retry the given open entries (all open entries when `ids` is None)."""
    results = []
    with open_connection(url) as conn:
        with conn.transaction():
            entries = [e for e in quarantine.list_entries(conn) if ids is None or e.id in ids]
            if ids is not None:
                missing = set(ids) - {e.id for e in entries}
                for entry_id in sorted(missing):
                    quarantine.get_entry(conn, entry_id)  # NotFound for unknown ids
        for entry in entries:
            spec = target_for(entry.collection, entry.target_table is None)
            if spec is None:  # pragma: no cover - target_for always maps with include_unmapped
                continue
            doc = SourceDocument(raw_from_ejson(entry.document), entry.position or "quarantine")
            codec = RowCodec(entry.collection, spec)
            with conn.transaction():
                write_batch(conn, prepare_batch([doc], codec, spec, 0), entry.run_id)
            with conn.transaction():
                now = quarantine.get_entry(conn, entry.id)
                still = [
                    e
                    for e in quarantine.list_entries(conn)
                    if e.collection == entry.collection and e.legacy_id == entry.legacy_id
                ]
            stored = now.resolved_at is not None
            reason = None if stored else (still[0].reason if still else now.reason)
            results.append(RetryResult(entry.id, entry.collection, entry.legacy_id, stored, reason))
    return results
