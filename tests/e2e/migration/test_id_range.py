"""`--id-range`: a load split into `_id` ranges stores exactly the rows of one whole load, and
the worker (parallel) path stores the same bytes as the inline (serial) path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.errors import InvalidInput
from pmo_playbook.migration.load.id_range import IdRange
from pmo_playbook.migration.load.loader import LoadOptions
from pmo_playbook.migration.load.prune import PruneRequest
from pmo_playbook.migration.load.run import migrate
from tests.e2e.migration.test_resume_and_failures import WHEN, _feedback
from tests.support.cli import run_pmo
from tests.support.migration import rows, source, write_dump

# Every stored column but the surrogate id, as text: what "byte for byte" compares.
SNAPSHOT = (
    "SELECT legacy_id, message_id, session_id, rating, sop_used, confidence::text, "
    "created_at::text, updated_at::text, data::text, bson_annotations::text "
    "FROM message_feedback ORDER BY legacy_id"
)


def _chats(n: int) -> list[dict[str, Any]]:
    return [{"_id": ObjectId(f"{0x10000 + i:024x}"), "sessionId": f"s-{i}", "status": "active",
             "messages": [{"role": "user", "content": "x" * (i % 300), "timestamp": WHEN}] * (i % 7),
             "startedAt": WHEN, "lastActive": WHEN, "createdAt": WHEN, "updatedAt": WHEN,
             "__v": 0} for i in range(n)]  # fmt: skip


@pytest.fixture
def second_db(pg_server: Any, template_db: str) -> Iterator[DatabaseUrl]:
    name = pg_server.create_database(template=template_db)
    yield pg_server.url(name)
    pg_server.drop_database(name)


def _load(url: DatabaseUrl, dump: Path, **options: Any) -> None:
    src = source(dump)
    try:
        report = migrate(url, src, LoadOptions(batch_size=70, **options))
    finally:
        src.close()
    assert report.ok, report.as_json()


def test_ranges_through_the_worker_store_the_rows_of_one_serial_load_byte_for_byte(
    tmp_path: Path, db_url: DatabaseUrl, second_db: DatabaseUrl
) -> None:
    dump = write_dump(tmp_path / "d", {"message_feedback": _feedback(500), "chat_histories":
                                       _chats(300)})  # fmt: skip
    _load(db_url, dump, worker_threshold=None)  # serial: every batch encoded inline
    cut = f"{250:024x}"  # splits the feedback ids; every chat id sorts after it
    for part in (f":{cut}", f"{cut}:"):  # parallel path: encoded in the worker process
        _load(second_db, dump, worker_threshold=0, id_range=IdRange.parse(part))
    assert rows(second_db, SNAPSHOT) == rows(db_url, SNAPSHOT)
    chats = "SELECT legacy_id, data::text, bson_annotations::text FROM chat_histories ORDER BY 1"
    assert rows(second_db, chats) == rows(db_url, chats)
    assert len(rows(db_url, SNAPSHOT)) == 500


def test_a_range_reports_and_verifies_only_its_own_rows(
    tmp_path: Path, db_url: DatabaseUrl, env_for: dict[str, str]
) -> None:
    dump = write_dump(tmp_path / "d", {"message_feedback": _feedback(120)})
    first = run_pmo("migrate", "run", "--from", str(dump), "--id-range", f":{60:024x}",
                    env=env_for)  # fmt: skip
    assert first.returncode == 0, first.stdout + first.stderr
    assert "MongoDB 59 documents, PostgreSQL 59 rows" in first.stdout  # ids 1..59
    second = run_pmo("migrate", "run", "--from", str(dump), "--id-range", f"{60:024x}:",
                     env=env_for)  # fmt: skip
    assert second.returncode == 0, second.stdout + second.stderr
    assert "MongoDB 61 documents, PostgreSQL 61 rows" in second.stdout  # the other rows are fine
    assert rows(db_url, "SELECT count(DISTINCT legacy_id) FROM message_feedback") == [(120,)]


@pytest.mark.parametrize("text", ["zz:", "abc", ":", "b:a", "1:1"])
def test_a_malformed_range_is_one_clear_line(text: str) -> None:
    with pytest.raises(InvalidInput, match="--id-range"):
        IdRange.parse(text)


def test_prune_is_refused_with_a_range(tmp_path: Path, db_url: DatabaseUrl) -> None:
    dump = write_dump(tmp_path / "d", {"message_feedback": _feedback(5)})
    with pytest.raises(InvalidInput, match="--prune with --id-range"):
        migrate(db_url, source(dump), LoadOptions(id_range=IdRange.parse("1:")),
                prune=PruneRequest(dry_run=True, confirm=lambda extras: True))  # fmt: skip
