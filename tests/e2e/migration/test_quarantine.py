"""Nothing dropped: documents that cannot be rows go to the quarantine, named, with exit 1."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import bson
from bson import ObjectId, json_util

from pmo_playbook.db.url import DatabaseUrl
from tests.support.cli import run_pmo_in_process as run_pmo
from tests.support.migration import execute, rows, write_dump

WHEN = datetime(2025, 7, 18, 10, 4, 47, tzinfo=UTC)
KEEP, CLASH, NOKEY, BADPHASE = (ObjectId() for _ in range(4))


def _project(oid: ObjectId, project_id: str | None) -> dict[str, object]:
    doc: dict[str, object] = {"_id": oid}
    if project_id:
        doc["projectId"] = project_id
    doc.update({"projectName": f"P {oid}", "sponsor": "S", "isActive": True, "createdAt": WHEN})
    return doc


def _dump(tmp_path: Path) -> Path:
    return write_dump(tmp_path / "dump", {
        "projects": [_project(KEEP, "PRO-001"), _project(CLASH, "PRO-001"), _project(NOKEY, None)],
        "human_sops": [{"_id": BADPHASE, "sopId": "SOP-001", "title": "T", "phase": 9,
                        "markdownContent": "# T", "createdAt": WHEN}],
    })  # fmt: skip


def test_unstorable_documents_are_quarantined_with_reason_and_original(
    tmp_path: Path, env_for: dict[str, str], db_url: DatabaseUrl
) -> None:
    dump = _dump(tmp_path)
    done = run_pmo("migrate", "run", "--from", str(dump), env=env_for)
    assert done.returncode == 1, done.stdout + done.stderr
    for oid in (CLASH, NOKEY, BADPHASE):
        assert "quarantined" in done.stdout and str(oid) in done.stdout
    entries = {
        r[0]: (r[1], r[2], r[3], r[4])
        for r in rows(db_url, "SELECT legacy_id, collection, doc_id, document, reason "
                              "FROM migration_quarantine WHERE resolved_at IS NULL")
    }  # fmt: skip
    assert set(entries) == {str(CLASH), str(NOKEY), str(BADPHASE)}
    assert "already taken by _id " + str(KEEP) in entries[str(CLASH)][3]
    assert "no natural key" in entries[str(NOKEY)][3]
    assert "phase=9" in entries[str(BADPHASE)][3]
    assert entries[str(BADPHASE)][0] == "human_sops"
    assert json.loads(entries[str(NOKEY)][1]) == {"$oid": str(NOKEY)}
    original = json_util.loads(entries[str(CLASH)][2])
    assert bson.encode(original) == bson.encode(_project(CLASH, "PRO-001"))
    assert rows(db_url, "SELECT legacy_id FROM projects") == [(str(KEEP),)]
    # a re-run does not duplicate the entries
    again = run_pmo("migrate", "run", "--from", str(dump), env=env_for)
    assert again.returncode == 1
    total = rows(db_url, "SELECT count(*) FROM migration_quarantine")[0][0]
    assert total == 3
    checked = run_pmo("migrate", "verify", "--from", str(dump), "--json", env=env_for)
    assert checked.returncode == 1
    projects = json.loads(checked.stdout)["collections"]["projects"]
    assert sorted(projects["quarantined"]) == sorted([str(CLASH), str(NOKEY)])
    assert projects["missing_count"] == 0


def test_quarantine_retry_after_fixing_the_conflicting_row(
    tmp_path: Path, env_for: dict[str, str], db_url: DatabaseUrl
) -> None:
    dump = _dump(tmp_path)
    assert run_pmo("migrate", "run", "--from", str(dump), env=env_for).returncode == 1
    listed = run_pmo("migrate", "quarantine", "list", "--json", env=env_for)
    entry = next(e for e in json.loads(listed.stdout) if e["legacy_id"] == str(CLASH))
    shown = run_pmo("migrate", "quarantine", "show", str(entry["id"]), env=env_for)
    assert json.loads(shown.stdout)["document"]["projectId"] == "PRO-001"
    failed = run_pmo("migrate", "quarantine", "retry", str(entry["id"]), env=env_for)
    assert failed.returncode == 1 and "still quarantined" in failed.stdout
    execute(db_url, "UPDATE projects SET project_id = 'PRO-777', "
                    "data = jsonb_set(data, '{projectId}', '\"PRO-777\"') WHERE legacy_id = %s",
            (str(KEEP),))  # fmt: skip
    fixed = run_pmo("migrate", "quarantine", "retry", str(entry["id"]), env=env_for)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert rows(db_url, "SELECT project_id FROM projects WHERE legacy_id = %s", (str(CLASH),)) == [
        ("PRO-001",)
    ]
    assert rows(db_url, "SELECT resolved_at IS NOT NULL FROM migration_quarantine WHERE id = %s",
                (entry["id"],)) == [(True,)]  # fmt: skip
