"""Gap 6 (catch-up until cut-over, --prune) and gap 7 (clear failures, resumable after a fix).

Sources: mongodump folders and mongoexport JSON lines written with the official `bson` codec;
the unreachable URI is a closed local port (the real pymongo driver tries to connect).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bson import ObjectId, json_util

from pmo_playbook.db.url import DatabaseUrl
from tests.support.cli import run_pmo_in_process as run_pmo
from tests.support.migration import rows, write_dump


def _project(i: int, name: str = "P") -> dict[str, Any]:
    return {"_id": ObjectId(f"{i + 1:024x}"), "projectId": f"PRO-{i + 1:03d}",
            "projectName": f"{name} {i}", "isActive": True}  # fmt: skip


def test_unreachable_uri_is_one_line_exit_2_and_no_run_row(
    db_url: DatabaseUrl, env_for: dict[str, str]
) -> None:
    done = run_pmo("migrate", "run", "--from", "mongodb://admin:s3cret@127.0.0.1:1/legacy",
                   env=env_for, timeout=60)  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "127.0.0.1:1" in errors[0], done.stderr
    assert "s3cret" not in done.stderr + done.stdout
    assert rows(db_url, "SELECT count(*) FROM migration_runs") == [(0,)]


def test_invalid_json_line_names_file_and_line_and_resumes_after_the_fix(
    tmp_path: Path, db_url: DatabaseUrl, env_for: dict[str, str]
) -> None:
    lines = [json_util.dumps({"_id": ObjectId(f"{i + 1:024x}"), "messageId": f"m-{i}",
                              "sessionId": "s", "rating": "helpful"}) for i in range(5000)]  # fmt: skip
    good = lines[3000]
    lines[3000] = '{"_id": 1,, "messageId": "m-broken"}'
    path = tmp_path / "message_feedback.json"
    path.write_text("\n".join(lines) + "\n")
    done = run_pmo("migrate", "run", "--from", str(path), "--batch-size", "1000", env=env_for)
    assert done.returncode == 2, done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"{path} line 3001" in errors[0], done.stderr
    assert rows(db_url, "SELECT count(*) FROM message_feedback") == [(3000,)]
    lines[3000] = good
    path.write_text("\n".join(lines) + "\n")
    again = run_pmo("migrate", "run", "--from", str(path), "--batch-size", "1000", env=env_for)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Resumed run" in again.stdout and "the source changed" not in again.stderr
    assert rows(db_url, "SELECT count(*), count(DISTINCT legacy_id) FROM message_feedback") == [
        (5000, 5000)
    ]
    assert run_pmo("migrate", "verify", "--from", str(path), env=env_for).returncode == 0


def test_catch_up_reports_deleted_documents_and_prune_deletes_them(
    tmp_path: Path, db_url: DatabaseUrl, env_for: dict[str, str]
) -> None:
    first = write_dump(tmp_path / "v1", {"projects": [_project(i) for i in range(5)]})
    assert run_pmo("migrate", "run", "--from", str(first), env=env_for).returncode == 0
    # the legacy app deletes #1 and #3, changes #0 and adds #5
    later = [_project(0, "Renamed"), _project(2), _project(4), _project(5)]
    second = write_dump(tmp_path / "v2", {"projects": later})
    gone = sorted(str(ObjectId(f"{i + 1:024x}")) for i in (1, 3))
    done = run_pmo("migrate", "run", "--from", str(second), "--report", str(tmp_path / "r.json"),
                   env=env_for)  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads((tmp_path / "r.json").read_text())["collections"]["projects"]
    assert (report["inserted"], report["updated"], report["extra_count"]) == (1, 1, 2)
    assert sorted(report["extra_ids"]) == gone
    checked = run_pmo("migrate", "verify", "--from", str(second), "--json", env=env_for)
    assert sorted(json.loads(checked.stdout)["collections"]["projects"]["extra"]) == gone
    dry = run_pmo("migrate", "run", "--from", str(second), "--prune", "--dry-run", env=env_for)
    assert dry.returncode == 1 and dry.stdout.count("no longer in the source") == 3
    assert rows(db_url, "SELECT count(*) FROM projects") == [(6,)]
    declined = run_pmo("migrate", "run", "--from", str(second), "--prune", env=env_for,
                       input_text="n\n")  # fmt: skip
    assert declined.returncode == 1 and "will delete 2 projects rows" in declined.stderr
    assert rows(db_url, "SELECT count(*) FROM projects") == [(6,)]
    pruned = run_pmo("migrate", "run", "--from", str(second), "--prune", "--yes", env=env_for)
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    assert "Pruned 2 rows" in pruned.stdout
    left = [r[0] for r in rows(db_url, "SELECT legacy_id FROM projects ORDER BY legacy_id")]
    assert left == sorted(str(d["_id"]) for d in later)
    assert run_pmo("migrate", "verify", "--from", str(second), env=env_for).returncode == 0


def test_a_report_path_in_a_missing_folder_is_refused_before_the_load(
    tmp_path: Path, db_url: DatabaseUrl, env_for: dict[str, str]
) -> None:
    dump = write_dump(tmp_path / "v1", {"projects": [_project(i) for i in range(3)]})
    target = tmp_path / "no-such-folder" / "r.json"
    done = run_pmo("migrate", "run", "--from", str(dump), "--report", str(target), env=env_for)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"folder {target.parent} does not exist" in done.stderr
    assert rows(db_url, "SELECT count(*) FROM migration_runs") == [(0,)]
    good = tmp_path / "r.json"
    done = run_pmo("migrate", "run", "--from", str(dump), "--report", str(good), env=env_for)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(good.read_text())["collections"]["projects"]["inserted"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "v1"]  # no partial left
