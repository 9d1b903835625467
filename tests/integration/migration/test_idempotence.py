"""Re-running after one source document changed updates exactly that row."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bson import ObjectId

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.load.run import migrate
from tests.support.migration import rows, source, write_dump

WHEN = datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def _sessions(edited: bool) -> list[dict[str, object]]:
    docs = []
    for i in range(30):
        status = "completed" if edited and i == 7 else "active"
        docs.append(
            {
                "_id": ObjectId(f"{i:024x}"),
                "sessionId": f"s-{i}",
                "status": status,
                "messages": [{"role": "user", "content": f"q{i}", "timestamp": WHEN}],
                "startedAt": WHEN,
                "lastActive": WHEN,
                "createdAt": WHEN,
                "updatedAt": WHEN,
            }
        )
    return docs  # fmt: skip


def test_rerun_after_editing_one_document_updates_exactly_that_row(
    tmp_path: Path, db_url: DatabaseUrl
) -> None:
    write_dump(tmp_path / "a", {"chat_histories": _sessions(False)})
    src = source(tmp_path / "a")
    first = migrate(db_url, src)
    src.close()
    assert first.collections[0].inserted == 30
    write_dump(tmp_path / "a", {"chat_histories": _sessions(True)})
    src = source(tmp_path / "a")
    second = migrate(db_url, src)
    src.close()
    c = second.collections[0]
    assert (c.inserted, c.updated, c.unchanged, c.identical) == (0, 1, 29, 30)
    assert rows(db_url, "SELECT session_id FROM chat_histories WHERE status = 'completed'") == [
        ("s-7",)
    ]
