"""MongoDB -> PostgreSQL: full load, then change streams (or polling) per legacy collection.

Exactly once across kill -9: each batch of changes and the position that follows it (the
change stream's resume token, or the poll watermark) commit in ONE PostgreSQL transaction, so
a restart resumes right after the last committed change. Applying a change is idempotent (the
document's full state, looked up by the server, replaces the row), so a batch redone after a
crash leaves the same rows, never a duplicate.

Change streams need a replica set. A standalone server refuses `watch`: the fallback polls
`updatedAt >= watermark` and periodically compares the `_id` sets to catch deletes (and
documents that have no `updatedAt`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import bson
import psycopg
from bson.raw_bson import RawBSONDocument
from pymongo.errors import OperationFailure, PyMongoError

from pmo_playbook.documents.registry import collection
from pmo_playbook.errors import PmoError
from pmo_playbook.migration.codec import document as bson_codec
from pmo_playbook.migration.codec.rowcodec import RowCodec
from pmo_playbook.migration.sources.live import raw_bytes
from pmo_playbook.repositories.cutover import CutoverRepository, SyncPosition
from pmo_playbook.repositories.sync_rows import SyncRowRepository
from pmo_playbook.sync.apply import Changes, apply_changes

log = logging.getLogger(__name__)
POLL_MARGIN = timedelta(seconds=5)  # clock skew and in-flight writes around a watermark


class SyncFailed(PmoError):
    """The sync cannot go on (the message says why and what to do)."""

    code = "SYNC_FAILED"
    status = 409


@dataclass
class CollectionSync:
    """One legacy collection's follower: its codec, position and open change stream."""

    codec: RowCodec
    position: SyncPosition
    stream: Any = None
    pending: Changes = field(default_factory=Changes)


def followed_collections(db: Any) -> list[str]:
    """The source's collections the registry knows (each belongs to a module), in load order."""
    from pmo_playbook.documents.registry import COLLECTIONS

    names = [n for n in db.list_collection_names() if not n.startswith("system.")]
    order = {c.table: i for i, c in enumerate(COLLECTIONS)}
    known = {n: c.table for n in names if (c := collection(n)) is not None}
    return sorted(known, key=lambda n: (order[known[n]], n))


class InboundSync:
    """Follows every mapped collection of one MongoDB database into PostgreSQL."""

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        db: Any,
        *,
        mode: str = "auto",
        batch_size: int = 500,
        reconcile_seconds: float = 30.0,
    ) -> None:
        self.conn, self.db, self.mode = conn, db, mode
        self.batch_size, self.reconcile_seconds = batch_size, reconcile_seconds
        self.followers: list[CollectionSync] = []

    def open(self) -> None:
        """Open a follower per collection (full load first where none finished)."""
        with self.conn.transaction():
            positions = CutoverRepository(self.conn).positions()
        for name in followed_collections(self.db):
            known = collection(name)
            assert known is not None
            position = positions.get(name) or SyncPosition(collection=name, module=known.module)
            follower = CollectionSync(RowCodec(name, known.spec), position)
            self._start(follower)
            self.followers.append(follower)

    def step(self) -> int:
        """One pass over every collection: apply what is pending; the changes applied."""
        return sum(self._step_one(f) for f in self.followers)

    # --- opening -----------------------------------------------------------------------------
    def _start(self, f: CollectionSync) -> None:
        p = f.position
        if p.mode is None:
            p.mode = "poll" if self.mode == "poll" else self._probe(f)
        if p.mode == "changestream":
            token = bson.decode(p.resume_token) if (p.loaded and p.resume_token) else None
            f.stream = self._watch(f, token)
        if not p.loaded:
            self._full_load(f)

    def _probe(self, f: CollectionSync) -> str:
        try:
            self.db[f.codec.collection].watch(max_await_time_ms=1).close()
            return "changestream"
        except (OperationFailure, NotImplementedError) as exc:
            if self.mode == "changestream":
                raise SyncFailed(f"{f.codec.collection}: change streams refused: {exc}") from None
            log.info("%s: no change streams (%s); polling updatedAt", f.codec.collection, exc)
            return "poll"

    def _watch(self, f: CollectionSync, token: Any) -> Any:
        try:
            return self.db[f.codec.collection].watch(
                full_document="updateLookup", resume_after=token, max_await_time_ms=50
            )
        except OperationFailure as exc:
            raise SyncFailed(
                f"{f.codec.collection}: cannot resume the change stream ({exc}); the oplog no "
                "longer holds the saved position: run `pmo cutover finish --abandon` and start "
                "again with a full load"
            ) from None

    def _full_load(self, f: CollectionSync) -> None:
        """Copy the whole collection (idempotent), drop rows gone from it, mark it loaded."""
        started = datetime.now(UTC)
        seen: set[str] = set()
        chunk = Changes()
        for doc in self.db[f.codec.collection].find({}, sort=[("_id", 1)]):
            raw = raw_bytes(doc)
            lid = f.codec.legacy_id_of(raw)
            if lid is None:
                continue
            seen.add(lid)
            chunk.upsert(lid, raw)
            if len(chunk.upserts) >= self.batch_size:
                self._commit(f, chunk, save=False)
                chunk = Changes()
        self._delete_missing(f, seen, chunk)
        f.position.loaded = True
        f.position.watermark = started - POLL_MARGIN
        f.position.reconciled_at = started
        if f.stream is not None:
            f.position.resume_token = _token_bytes(f.stream.resume_token)
        self._commit(f, chunk, save=True, count=False)

    def _delete_missing(self, f: CollectionSync, seen: set[str], into: Changes) -> None:
        with self.conn.transaction():
            stored = SyncRowRepository(self.conn, f.codec.spec).all_ids()
        for lid in stored - seen:
            into.delete(lid)

    # --- following ---------------------------------------------------------------------------
    def _step_one(self, f: CollectionSync) -> int:
        changes = self._read_stream(f) if f.stream is not None else self._poll(f)
        self._commit(f, changes, save=True)
        return changes.events

    def _read_stream(self, f: CollectionSync) -> Changes:
        """The next batch of change events, as the current state of each document they name.

        An event identifies its document by `documentKey._id`; the state written is read back
        by `_id` after the batch (one `$in` query), not taken from the event's `fullDocument`.
        Servers fill `fullDocument` in their own way (the nx-27017 stand-in hands out its
        storage form: `_id` and dates as sub-documents), and keying a row by whatever `_id` the
        event body carries turned an update into a natural-key clash with the document's own
        row. The read-back is the state at least as new as the batch: a document deleted since
        is deleted (its delete event follows and is a no-op), and re-applying a later state
        when the batch is redone after a crash changes nothing.
        """
        touched: dict[str, Any] = {}  # legacy_id -> `_id` value, in event order
        events = 0
        try:
            while events < self.batch_size:
                event = f.stream.try_next()
                if event is None:
                    f.position.caught_up_at = datetime.now(UTC)
                    break
                events += 1
                key = self._take(f, event)
                if key is not None:
                    touched[bson_codec.legacy_id_for(key)] = key
            changes = self._current_state(f, touched)
        except PyMongoError as exc:
            raise SyncFailed(f"{f.codec.collection}: change stream failed: {exc}") from None
        changes.events = events
        f.position.resume_token = _token_bytes(f.stream.resume_token) or f.position.resume_token
        return changes

    def _take(self, f: CollectionSync, event: Any) -> Any:
        """The `_id` an event changed (None: nothing to apply); stops on a collection-wide op."""
        op = event["operationType"]
        when = event.get("clusterTime")
        if when is not None and hasattr(when, "as_datetime"):
            f.position.last_event_at = when.as_datetime()
        elif isinstance(when, datetime):
            f.position.last_event_at = when.replace(tzinfo=when.tzinfo or UTC)
        else:
            f.position.last_event_at = datetime.now(UTC)
        if op in ("insert", "update", "replace", "delete"):
            return _plain_id(event["documentKey"])
        if op in ("drop", "rename", "dropDatabase", "invalidate"):
            raise SyncFailed(
                f"{f.codec.collection}: the collection saw {op!r}; the sync stopped (nothing "
                "lost): check the legacy database, then run the sync again"
            )
        return None

    def _current_state(self, f: CollectionSync, touched: dict[str, Any]) -> Changes:
        """Upserts of the documents of `touched` that exist, deletes of those that do not."""
        changes = Changes()
        if not touched:
            return changes
        found: dict[str, bytes] = {}
        for doc in self.db[f.codec.collection].find({"_id": {"$in": list(touched.values())}}):
            raw = raw_bytes(doc)
            lid = f.codec.legacy_id_of(raw)
            if lid is not None:
                found[lid] = raw
        for lid in touched:
            if lid in found:
                changes.upsert(lid, found[lid])
            else:
                changes.delete(lid)
        return changes

    def _poll(self, f: CollectionSync) -> Changes:
        p, changes = f.position, Changes()
        mark = p.watermark or datetime(1970, 1, 1, tzinfo=UTC)
        cursor = self.db[f.codec.collection].find({"updatedAt": {"$gte": mark}})
        newest = mark
        for doc in cursor.sort([("updatedAt", 1), ("_id", 1)]):
            raw = raw_bytes(doc)
            lid = f.codec.legacy_id_of(raw)
            if lid is None:
                continue
            changes.upsert(lid, raw)
            updated = bson.decode(raw).get("updatedAt")
            if isinstance(updated, datetime):
                newest = max(newest, updated.replace(tzinfo=updated.tzinfo or UTC))
        now = datetime.now(UTC)
        p.watermark = min(newest, now - POLL_MARGIN) if newest > mark else mark
        if p.reconciled_at is None or (now - p.reconciled_at).total_seconds() >= (
            self.reconcile_seconds
        ):
            self._reconcile(f, changes)
            p.reconciled_at = now
        self._drop_unchanged(f, changes)
        p.caught_up_at = now
        if changes:
            p.last_event_at = now
        return changes

    def _drop_unchanged(self, f: CollectionSync, changes: Changes) -> None:
        """Forget polled documents whose row already holds them: the watermark keeps a margin
        (POLL_MARGIN), so recent documents are read on every pass; counting them as events
        kept a non-following sync from ever finding nothing pending."""
        with self.conn.transaction():
            stored = SyncRowRepository(self.conn, f.codec.spec).current(list(changes.upserts))
        for lid, (data, notes) in stored.items():
            if f.codec.decode(lid, data, notes) == changes.upserts[lid]:
                del changes.upserts[lid]
                changes.events -= 1

    def _reconcile(self, f: CollectionSync, changes: Changes) -> None:
        """Deletes (and documents without updatedAt) found by comparing the `_id` sets."""
        ids = {
            bson_codec.legacy_id_for(_plain_id(doc))
            for doc in self.db[f.codec.collection].find({}, {"_id": 1})
        }
        with self.conn.transaction():
            stored = SyncRowRepository(self.conn, f.codec.spec).all_ids()
        for lid in stored - ids:
            changes.delete(lid)
        for lid in ids - stored:
            doc = self.db[f.codec.collection].find_one({"_id": f.codec.id_value(lid)})
            if doc is not None and lid not in changes.upserts:
                changes.upsert(lid, raw_bytes(doc))

    # --- committing --------------------------------------------------------------------------
    def _commit(
        self, f: CollectionSync, changes: Changes, *, save: bool, count: bool = True
    ) -> None:
        """Changes and (when `save`) the position after them, in ONE transaction."""
        with self.conn.transaction():
            repo = CutoverRepository(self.conn)
            owner = repo.lock_owners([f.position.module]).get(f.position.module, "mongodb")
            if changes:
                applied = apply_changes(
                    self.conn, f.codec, changes, owned_by_mongodb=owner == "mongodb"
                )
                if applied.quarantined:
                    log.warning(
                        "%s: %d document(s) quarantined", f.codec.collection, applied.quarantined
                    )
            if count:
                f.position.events_applied += changes.events
            if save:
                repo.save_position(f.position)

    def close(self) -> None:
        for f in self.followers:
            if f.stream is not None:
                f.stream.close()


def _token_bytes(token: Any) -> bytes | None:
    if token is None:
        return None
    if isinstance(token, RawBSONDocument):
        return bytes(token.raw)
    return bson.encode(token)


def _plain_id(doc: Any) -> Any:
    return doc["_id"]


def wait_seconds(since: float, interval: float) -> float:
    """How long an idle follower sleeps before the next pass."""
    return max(0.0, interval - (time.monotonic() - since))
