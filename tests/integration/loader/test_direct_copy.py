"""A first load's batches COPYed straight into the empty target table (direct.py).

Real components only: dumps written with the official `bson` codec, the suite's PostgreSQL.
Which path a batch took is read from the loader's own log records ("COPYed into", "redone
through staging"); what it stored is read from the database.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId, json_util

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.load import direct
from pmo_playbook.migration.load.loader import LoadOptions
from pmo_playbook.migration.load.run import migrate
from pmo_playbook.migration.mapping import SPECS
from pmo_playbook.migration.sources.base import SourceError
from tests.support.migration import execute, rows, source, write_dump

BASE = datetime(2024, 3, 1, 12, 30, 15, 123000, tzinfo=UTC)
A, B, C, D, E = (ObjectId() for _ in range(5))


def _chat(oid: ObjectId, session: str, i: int) -> dict[str, Any]:
    t = BASE + timedelta(minutes=i)
    return {
        "_id": oid, "sessionId": session,
        "messages": [{"role": "user", "content": f"q {i}", "timestamp": t}],
        "status": "active", "startedAt": t, "lastActive": t, "createdAt": t, "updatedAt": t,
    }  # fmt: skip


def _dump(root: Path, c_session: str = "s1") -> Path:
    """Five chats in batches of two; C's sessionId is A's unless told otherwise."""
    docs = [_chat(A, "s1", 0), _chat(B, "s2", 1), _chat(C, c_session, 2), _chat(D, "s3", 3)]
    docs.append(_chat(E, "s4", 4))
    return write_dump(root, {"chat_histories": docs})


def _messages(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


def _state(url: DatabaseUrl) -> tuple[list[Any], list[Any], list[Any]]:
    """Stored rows in id order, open quarantine entries, checkpoint counters."""
    stored = rows(url, "SELECT legacy_id, session_id, data FROM chat_histories ORDER BY id")
    entries = rows(
        url, "SELECT legacy_id, reason, position, document FROM migration_quarantine "
        "WHERE resolved_at IS NULL ORDER BY legacy_id",
    )  # fmt: skip
    counters = rows(
        url, "SELECT next_index, read, inserted, updated, unchanged, quarantined, identical, "
        "different FROM migration_checkpoints ORDER BY run_id",
    )  # fmt: skip
    return stored, entries, counters


def test_every_natural_key_of_a_direct_table_has_a_unique_index(db_url: DatabaseUrl) -> None:
    """What makes the direct COPY's integrity error the staging path's conflict check."""
    checked = 0
    for spec in SPECS:
        if not direct.eligible(spec):
            continue
        query = (
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = %s::regclass AND indisunique"
        )
        defs = [r[0] for r in rows(db_url, query, (spec.table,))]
        for key in (("legacy_id",), *spec.unique_keys):
            cols = ", ".join(f"lower({c})" if c in spec.lower_keys else c for c in key)
            assert any(d.endswith(f"USING btree ({cols})") for d in defs), (spec.table, key, defs)
            checked += 1
    assert checked >= 16  # eight tables, legacy_id + at least one natural key each


def test_agent_sops_and_unmapped_collections_never_go_direct() -> None:
    eligible = {spec.table for spec in SPECS if direct.eligible(spec)}
    assert "agent_sops" not in eligible and "legacy_documents" not in eligible
    assert {"chat_histories", "message_feedback", "projects", "users"} <= eligible


def test_a_first_load_copies_straight_into_the_target(
    tmp_path: Path, db_url: DatabaseUrl, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="pmo_playbook.migration.load.direct")
    dump = _dump(tmp_path / "d", c_session="s9")
    report = migrate(db_url, source(dump), LoadOptions(batch_size=2))
    assert len(_messages(caplog, "COPYed into chat_histories")) == 3
    assert not _messages(caplog, "redone through staging")
    (col,) = report.collections
    assert (col.inserted, col.identical, col.different, col.quarantined) == (5, 5, 0, 0)
    stored, entries, _ = _state(db_url)
    assert [r[0] for r in stored] == [str(o) for o in (A, B, C, D, E)]  # source order
    assert [r[1] for r in stored] == ["s1", "s2", "s9", "s3", "s4"]
    assert entries == []
    # A second run finds the table full: the staging path, every row unchanged.
    caplog.clear()
    again = migrate(db_url, source(dump), LoadOptions(batch_size=2))
    assert not _messages(caplog, "COPYed into")
    assert (again.collections[0].unchanged, again.collections[0].inserted) == (5, 0)


def test_a_conflict_in_a_direct_batch_quarantines_exactly_like_the_staging_path(
    tmp_path: Path, db_url: DatabaseUrl, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="pmo_playbook.migration.load.direct")
    dump = _dump(tmp_path / "d")  # C takes A's session s1: batch 2 conflicts
    report = migrate(db_url, source(dump), LoadOptions(batch_size=2))
    assert len(_messages(caplog, "redone through staging")) == 1
    assert len(_messages(caplog, "COPYed into chat_histories")) == 2  # batches 1 and 3
    assert report.collections[0].quarantined_ids == [str(C)]
    with_direct = _state(db_url)
    assert [r[0] for r in with_direct[0]] == [str(o) for o in (A, B, D, E)]
    assert with_direct[1][0][1] == f"natural key session_id='s1' already taken by _id {A}"
    # The same source through the staging path only, into the emptied tables.
    execute(db_url, "TRUNCATE chat_histories, migration_quarantine, migration_runs CASCADE")
    caplog.clear()
    migrate(db_url, source(dump), LoadOptions(batch_size=2, direct_copy=False))
    assert not _messages(caplog, "COPYed into")
    assert _state(db_url) == with_direct


def test_a_direct_load_resolves_the_open_quarantine_entry_of_a_stored_document(
    tmp_path: Path, db_url: DatabaseUrl, caplog: pytest.LogCaptureFixture
) -> None:
    migrate(db_url, source(_dump(tmp_path / "bad")), LoadOptions(batch_size=2))
    assert [r[0] for r in _state(db_url)[1]] == [str(C)]
    execute(db_url, "DELETE FROM chat_histories")  # empty again: the next load goes direct
    caplog.set_level(logging.DEBUG, logger="pmo_playbook.migration.load.direct")
    report = migrate(db_url, source(_dump(tmp_path / "fixed", "s9")), LoadOptions(batch_size=2))
    assert len(_messages(caplog, "COPYed into chat_histories")) == 3
    assert _state(db_url)[1] == []
    assert report.collections[0].quarantined_ids == []
    assert rows(db_url, "SELECT count(*) FROM chat_histories")[0][0] == 5


def test_a_resumed_collection_goes_through_the_staging_path(
    tmp_path: Path, db_url: DatabaseUrl, caplog: pytest.LogCaptureFixture
) -> None:
    """A first load cut by a source error resumes into a table holding its first batches."""
    docs = [_chat(o, f"s{i}", i) for i, o in enumerate((A, B, C, D, E))]
    lines = [json_util.dumps(d) for d in docs]
    path = tmp_path / "chat_histories.json"
    path.write_text("\n".join([*lines[:4], '{"_id": 1,, "sessionId": "broken"}']) + "\n")
    caplog.set_level(logging.DEBUG, logger="pmo_playbook.migration.load.direct")
    with pytest.raises(SourceError):  # line 5: batches 1-2 are committed first
        migrate(db_url, source(path), LoadOptions(batch_size=2))
    assert len(_messages(caplog, "COPYed into chat_histories")) == 2
    assert rows(db_url, "SELECT next_index FROM migration_checkpoints") == [(4,)]
    path.write_text("\n".join(lines) + "\n")
    caplog.clear()
    report = migrate(db_url, source(path), LoadOptions(batch_size=2))
    assert report.resumed
    assert not _messages(caplog, "COPYed into")
    # the resumed run's counters cover the whole collection: 4 direct + 1 staged, once each
    assert (report.collections[0].inserted, report.collections[0].quarantined) == (5, 0)
    assert report.collections[0].row_count == 5
    assert [r[0] for r in _state(db_url)[0]] == [str(o) for o in (A, B, C, D, E)]
