"""Kill-and-resume of a real `pmo migrate run` subprocess, and clear failures (exit 2)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import bson
from bson import ObjectId

from pmo_playbook.db.url import DatabaseUrl
from tests.support.cli import PMO, run_pmo
from tests.support.migration import rows, write_dump

WHEN = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)


def _feedback(n: int) -> list[dict[str, object]]:
    return [{"_id": ObjectId(f"{i + 1:024x}"), "messageId": f"m-{i}", "sessionId": f"s-{i % 97}",
             "rating": "helpful" if i % 3 else "not_helpful", "sopUsed": "SOP-001",
             "confidence": 0.5, "feedbackReason": "x" * (i % 50), "createdAt": WHEN,
             "updatedAt": WHEN} for i in range(n)]  # fmt: skip


def _wait_for_checkpoint(url: DatabaseUrl, proc: subprocess.Popen[str], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the run finished before a checkpoint was seen"
        try:
            found = rows(url, "SELECT coalesce(max(next_index), 0) FROM migration_checkpoints "
                              "WHERE collection = 'message_feedback' AND NOT done")  # fmt: skip
        except Exception:
            found = [(0,)]
        if found[0][0] > 0:
            return int(found[0][0])
        time.sleep(0.02)
    raise AssertionError("no checkpoint committed in time")


def kill_mid_load(
    tmp_path: Path, db_url: DatabaseUrl, env_for: dict[str, str], total: int
) -> tuple[Path, int]:
    """Write a dump of `total` feedback documents, start a real `pmo migrate run` subprocess
    on it and SIGKILL it once a batch has committed. Returns the dump and the checkpoint seen."""
    dump = write_dump(tmp_path / "dump", {"message_feedback": _feedback(total)})
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MONGODB_URI")}
    env.update(env_for)
    proc = subprocess.Popen(
        [*PMO, "migrate", "run", "--from", str(dump), "--batch-size", "500"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        seen = _wait_for_checkpoint(db_url, proc, timeout=120)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    return dump, seen


def test_killed_run_resumes_without_duplicates_or_gaps(
    tmp_path: Path, db_url: DatabaseUrl, env_for: dict[str, str]
) -> None:
    total = 30000
    dump, seen = kill_mid_load(tmp_path, db_url, env_for, total)
    loaded = rows(db_url, "SELECT count(*) FROM message_feedback")[0][0]
    assert seen <= loaded < total  # killed mid-load, after at least one committed batch
    point = rows(db_url, "SELECT next_index FROM migration_checkpoints")[0][0]
    assert point == loaded  # the checkpoint covers exactly the committed rows
    again = run_pmo("migrate", "run", "--from", str(dump), env=env_for)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Resumed run" in again.stdout
    assert rows(db_url, "SELECT count(*), count(DISTINCT legacy_id) FROM message_feedback") == [
        (total, total)
    ]
    checked = run_pmo("migrate", "verify", "--from", str(dump), env=env_for)
    assert checked.returncode == 0, checked.stdout


def test_truncated_bson_fails_clearly_and_writes_nothing_for_the_batch(
    tmp_path: Path, db_url: DatabaseUrl, env_for: dict[str, str]
) -> None:
    dump = write_dump(tmp_path / "dump", {"message_feedback": _feedback(10)})
    path = dump / "legacy" / "message_feedback.bson"
    data = path.read_bytes()
    cut = len(data) - 7
    path.write_bytes(data[:cut])
    done = run_pmo("migrate", "run", "--from", str(dump), env=env_for)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1
    assert "message_feedback.bson" in lines[0] and "offset" in lines[0]
    assert rows(db_url, "SELECT count(*) FROM message_feedback") == [(0,)]
    # the source fails before or during the first batch: no run stays open to resume
    assert all(r[0] == "failed" for r in rows(db_url, "SELECT status FROM migration_runs"))


def test_unknown_format_fails_with_exit_2(tmp_path: Path, env_for: dict[str, str]) -> None:
    done = run_pmo("migrate", "plan", "--from", str(tmp_path), "--format", "xml", env=env_for)
    assert done.returncode == 2
    assert "xml" in done.stderr


def test_encoded_size_is_what_bson_writes() -> None:
    # guard for the kill test: documents are a realistic few hundred bytes each
    assert 150 < len(bson.encode(_feedback(1)[0])) < 400
