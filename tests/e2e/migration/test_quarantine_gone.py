"""Quarantined, then deleted in the source: the catch-up reports it apart and --prune closes it.

Before migration 0008 such an entry stayed open forever: every catch-up run counted it as
quarantined, expected one row fewer than the source holds ("❌ expected N rows") and exited 1.
Sources: mongodump folders written with the official `bson` codec.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bson import ObjectId

from pmo_playbook.db.url import DatabaseUrl
from tests.support.cli import run_pmo_in_process as run_pmo
from tests.support.migration import rows, write_dump


def _project(n: int, project_id: str) -> dict[str, Any]:
    return {"_id": ObjectId(f"{n:024x}"), "projectId": project_id,
            "projectName": f"Project {n}", "isActive": True}  # fmt: skip


def test_entry_of_a_document_deleted_in_the_source_is_reported_apart_and_closed_by_prune(
    tmp_path: Path, db_url: DatabaseUrl, env_for: dict[str, str]
) -> None:
    kept = [_project(1, "PRO-001"), _project(2, "PRO-002"), _project(3, "PRO-003")]
    # #8 and #9 take natural keys that #1 and #2 hold: both are quarantined by the first run.
    deleted_later, still_there = _project(8, "PRO-001"), _project(9, "PRO-002")
    first = write_dump(tmp_path / "v1", {"projects": [*kept, deleted_later, still_there]})
    done = run_pmo("migrate", "run", "--from", str(first), env=env_for)
    assert done.returncode == 1 and "2 quarantined" in done.stdout, done.stdout

    # The legacy app deletes #8 before cut-over.
    second = write_dump(tmp_path / "v2", {"projects": [*kept, still_there]})
    report_path = tmp_path / "r.json"
    again = run_pmo("migrate", "run", "--from", str(second), "--report", str(report_path),
                    env=env_for)  # fmt: skip
    assert again.returncode == 1, again.stdout + again.stderr
    report = json.loads(report_path.read_text())["collections"]["projects"]
    assert report["quarantined_ids"] == [str(still_there["_id"])]
    assert report["quarantined_gone_ids"] == [str(deleted_later["_id"])]
    # The source holds 4 documents, one of them quarantined: 3 rows expected, 3 present.
    assert (report["source_count"], report["row_count"]) == (4, 3)
    assert "✅ counts match" in again.stdout
    assert "1 quarantined documents no longer in the source" in again.stdout

    dry = run_pmo("migrate", "run", "--from", str(second), "--prune", "--dry-run", env=env_for)
    assert dry.returncode == 1, dry.stdout + dry.stderr
    assert rows(db_url, "SELECT count(*) FROM migration_quarantine WHERE resolved_at IS NULL") == [
        (2,)
    ]

    pruned = run_pmo("migrate", "run", "--from", str(second), "--prune", "--yes",
                     "--report", str(report_path), env=env_for)  # fmt: skip
    # Still 1: #9 is in the source and still cannot be stored; #8's entry is closed.
    assert pruned.returncode == 1, pruned.stdout + pruned.stderr
    assert "Closed 1 quarantine entry" in pruned.stdout
    after = json.loads(report_path.read_text())
    assert after["quarantine_closed"] == 1
    assert after["collections"]["projects"]["quarantined_gone_ids"] == []
    entries = rows(
        db_url,
        "SELECT legacy_id, resolution, document IS NOT NULL, reason FROM migration_quarantine "
        "ORDER BY legacy_id",
    )
    assert [(e[0], e[1], e[2]) for e in entries] == [
        (str(deleted_later["_id"]), "gone from the source", True),
        (str(still_there["_id"]), None, True),
    ]
    assert "PRO-001" in entries[0][3]  # the reason is kept
    listed = run_pmo("migrate", "quarantine", "list", "--all", env=env_for)
    assert "gone from the source" in listed.stdout, listed.stdout
    # Nothing else was touched: the three stored projects are still there.
    assert rows(db_url, "SELECT count(*) FROM projects") == [(3,)]


def test_an_entry_whose_document_was_fixed_in_the_source_is_closed_as_stored(
    tmp_path: Path, db_url: DatabaseUrl, env_for: dict[str, str]
) -> None:
    """The other way an entry closes: the same `_id`, now storable, is loaded by the next run."""
    clash = _project(9, "PRO-001")
    first = write_dump(tmp_path / "v1", {"projects": [_project(1, "PRO-001"), clash]})
    assert run_pmo("migrate", "run", "--from", str(first), env=env_for).returncode == 1
    fixed = write_dump(tmp_path / "v2", {"projects": [_project(1, "PRO-001"),
                                                      _project(9, "PRO-009")]})  # fmt: skip
    done = run_pmo("migrate", "run", "--from", str(fixed), env=env_for)
    assert done.returncode == 0, done.stdout + done.stderr
    assert rows(db_url, "SELECT legacy_id, resolution FROM migration_quarantine") == [
        (str(clash["_id"]), "stored")
    ]
    assert rows(db_url, "SELECT project_id FROM projects ORDER BY project_id") == [
        ("PRO-001",),
        ("PRO-009",),
    ]


def test_a_later_duplicate_id_is_gone_only_once_the_source_drops_it(
    tmp_path: Path, db_url: DatabaseUrl, env_for: dict[str, str]
) -> None:
    """A duplicate's entry is keyed by `_id` AND position; its `_id` is still read (the first
    document), so only the run's not re-quarantining it says it is gone."""
    first_doc, dup = _project(1, "PRO-001"), {**_project(1, "PRO-001"), "projectName": "later"}
    with_dup = write_dump(tmp_path / "v1", {"projects": [first_doc, _project(2, "PRO-002"), dup]})
    report_path = tmp_path / "r.json"
    for _ in range(2):  # the first run and a catch-up over the same source
        done = run_pmo("migrate", "run", "--from", str(with_dup), "--report", str(report_path),
                       env=env_for)  # fmt: skip
        assert done.returncode == 1, done.stdout + done.stderr
        report = json.loads(report_path.read_text())["collections"]["projects"]
        assert len(report["quarantined_ids"]) == 1 and report["quarantined_gone_ids"] == []
    fixed = write_dump(tmp_path / "v2", {"projects": [first_doc, _project(2, "PRO-002")]})
    done = run_pmo("migrate", "run", "--from", str(fixed), "--report", str(report_path),
                   env=env_for)  # fmt: skip
    report = json.loads(report_path.read_text())["collections"]["projects"]
    assert (report["quarantined_ids"], len(report["quarantined_gone_ids"])) == ([], 1)
    pruned = run_pmo("migrate", "run", "--from", str(fixed), "--prune", "--yes", env=env_for)
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    assert rows(db_url, "SELECT resolution FROM migration_quarantine") == [
        ("gone from the source",)
    ]
    assert rows(
        db_url, "SELECT data->>'projectName' FROM projects WHERE project_id = 'PRO-001'"
    ) == [("Project 1",)]
