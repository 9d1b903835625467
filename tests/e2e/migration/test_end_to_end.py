"""Contract suite: the same end-to-end assertions for the mongodump, mongoexport and seed sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.load.run import migrate
from pmo_playbook.migration.verify.compare import verify
from tests.support.cli import run_pmo_in_process as run_pmo
from tests.support.migration import rows, source

# (relative path, format, expected counts file, collection names as the source spells them)
SOURCES = {
    "mongodump": ("legacy-mongo/dump", "mongodump"),
    "mongoexport": ("legacy-mongo/export", "mongoexport"),
    "seed-json": ("seed-export", "seed-json"),
}


def expected_counts(fixtures: Path, kind: str) -> dict[str, int]:
    """Counts the fixture authors recorded (manifest.json / export-stats.json), not ours."""
    if kind == "seed-json":
        return json.loads((fixtures / "seed-export" / "export-stats.json").read_text())
    manifest = json.loads((fixtures / "legacy-mongo" / "manifest.json").read_text())
    return {name: c["count"] for name, c in manifest["collections"].items()}


@pytest.mark.parametrize("kind", list(SOURCES))
def test_migrate_source_loads_and_verifies_clean(
    db_url: DatabaseUrl, fixtures_dir: Path, kind: str
) -> None:
    path, fmt = SOURCES[kind]
    expected = expected_counts(fixtures_dir, kind)
    src = source(fixtures_dir / path, fmt)
    try:
        report = migrate(db_url, src)
        checked = verify(db_url, src)
    finally:
        src.close()
    got = {c.collection: (c.source_count, c.row_count, c.identical) for c in report.collections}
    assert got == {name: (n, n, n) for name, n in expected.items()}
    assert report.ok and report.unmapped == []
    assert checked.ok
    assert {c.collection: c.identical for c in checked.collections} == expected
    # both legacy spellings of the two renamed collections land in the right tables
    tables = {c.collection: c.table for c in report.collections}
    feedback = "user_feedback" if kind == "seed-json" else "userfeedback"
    history = "sop_version_histories" if kind == "seed-json" else "sop_version_history"
    assert tables[feedback] == "user_feedback"
    assert tables[history] == "sop_version_histories"
    counted = rows(db_url, "SELECT count(*) FROM user_feedback")[0][0]
    assert counted == expected[feedback]


@pytest.mark.parametrize("kind", list(SOURCES))
def test_second_run_changes_nothing(db_url: DatabaseUrl, fixtures_dir: Path, kind: str) -> None:
    path, fmt = SOURCES[kind]
    src = source(fixtures_dir / path, fmt)
    try:
        first = migrate(db_url, src)
        before = rows(db_url, "SELECT legacy_id, updated_at, data FROM chat_histories ORDER BY id")
        second = migrate(db_url, src)
    finally:
        src.close()
    assert first.changed
    assert not second.changed
    assert all(c.inserted == 0 and c.updated == 0 for c in second.collections)
    assert sum(c.unchanged for c in second.collections) == sum(c.read for c in first.collections)
    assert (
        rows(db_url, "SELECT legacy_id, updated_at, data FROM chat_histories ORDER BY id") == before
    )


def test_cli_run_prints_checkpoint_summary_and_report(
    env_for: dict[str, str], fixtures_dir: Path, tmp_path: Path
) -> None:
    report_path = tmp_path / "report.json"
    dump = str(fixtures_dir / "legacy-mongo" / "dump")
    done = run_pmo("migrate", "run", "--from", dump, "--report", str(report_path), env=env_for)
    assert done.returncode == 0, done.stderr
    assert (
        "projects: MongoDB 40 documents, PostgreSQL 40 rows, ✅ counts match, "
        "✅ all 40 documents identical" in done.stdout
    )
    report = json.loads(report_path.read_text())
    assert report["collections"]["userfeedback"]["inserted"] == 58
    assert set(report["collections"]["users"]) >= {
        "read",
        "inserted",
        "updated",
        "unchanged",
        "quarantined",
        "seconds",
        "docs_per_second",
    }
    again = run_pmo("migrate", "run", "--from", dump, env=env_for)
    assert again.returncode == 0, again.stderr
    assert "Nothing changed" in again.stdout
    checked = run_pmo("migrate", "verify", "--from", dump, "--json", env=env_for)
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["ok"] is True


def test_plan_lists_targets_and_writes_nothing(
    env_for: dict[str, str], db_url: DatabaseUrl, fixtures_dir: Path
) -> None:
    done = run_pmo(
        "migrate", "plan", "--from", str(fixtures_dir / "seed-export"), "--json", env=env_for
    )
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    targets = {c["collection"]: (c["table"], c["count"]) for c in plan["collections"]}
    assert targets["user_feedback"] == ("user_feedback", 0)
    assert targets["sop_version_histories"] == ("sop_version_histories", 0)
    assert targets["projects"] == ("projects", 2)
    assert rows(db_url, "SELECT count(*) FROM migration_runs")[0][0] == 0
