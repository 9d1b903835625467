"""`pmo migrate status`: a live run, a killed one and a finished one, as an operator sees them.

Sources: mongodump folders written with the official `bson` codec; the live run is paused
mid-load in a thread, the killed one is a real `pmo migrate run` subprocess ended with SIGKILL.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pmo_playbook.db.url import DatabaseUrl
from tests.e2e.migration.paused_run import paused_run
from tests.e2e.migration.test_resume_and_failures import _feedback, kill_mid_load
from tests.support.cli import run_pmo_in_process as run_pmo
from tests.support.migration import rows, write_dump


def _status(env: dict[str, str]) -> dict[str, Any]:
    done = run_pmo("migrate", "status", "--json", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# The run itself must hold the lock, which it can only on the direct endpoint.
@pytest.mark.direct_connection
def test_a_live_run_is_shown_with_its_writer_and_checkpoint(
    tmp_path: Path, db_url: DatabaseUrl, env_for: dict[str, str]
) -> None:
    with paused_run(tmp_path, db_url) as first:
        status = _status(env_for)
        (run,) = status["runs"]
        assert status["writer"].startswith(f"pmo migrate run #{run['id']}, server pid ")
        assert (run["status"], run["live"], run["state"]) == ("running", True, "running")
        (progress,) = run["collections"]
        assert (progress["collection"], progress["handled"], progress["done"]) == (
            "message_feedback",
            500,
            False,
        )
        first.finish()
    status = _status(env_for)
    assert status["writer"] is None
    assert status["runs"][0]["state"] == "finished"
    assert status["runs"][0]["collections"][0]["handled"] == 2000


def test_a_killed_run_is_shown_interrupted_with_its_missing_indexes(
    tmp_path: Path, db_url: DatabaseUrl, env_for: dict[str, str]
) -> None:
    dump, _ = kill_mid_load(tmp_path, db_url, env_for, 30000)
    status = _status(env_for)
    (run,) = status["runs"]
    assert status["writer"] is None and run["status"] == "running" and not run["live"]
    assert run["state"].startswith("interrupted")
    handled = run["collections"][0]["handled"]
    assert handled == rows(db_url, "SELECT count(*) FROM message_feedback")[0][0] > 0
    # a first load of 30000 documents deferred message_feedback's secondary indexes
    assert {i["table"] for i in status["missing_indexes"]} == {"message_feedback"}
    text = run_pmo("migrate", "status", env=env_for)
    assert "Writer lock: free" in text.stdout and "interrupted" in text.stdout
    assert "missing index" in text.stderr + text.stdout
    assert run_pmo("migrate", "run", "--from", str(dump), env=env_for).returncode == 0
    after = _status(env_for)
    assert after["runs"][0]["id"] == run["id"] and after["runs"][0]["state"] == "finished"
    assert after["missing_indexes"] == [] and after["open_quarantine"] == {}


def test_open_quarantine_is_counted_per_collection(
    tmp_path: Path, db_url: DatabaseUrl, env_for: dict[str, str]
) -> None:
    docs = _feedback(10)
    docs[5]["messageId"], docs[5]["sessionId"] = docs[1]["messageId"], docs[1]["sessionId"]
    dump = write_dump(tmp_path / "dump", {"message_feedback": docs})
    assert run_pmo("migrate", "run", "--from", str(dump), env=env_for).returncode == 1
    assert _status(env_for)["open_quarantine"] == {"message_feedback": 1}
