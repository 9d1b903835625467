"""`pmo migrate export` is what a rollback restores: all or nothing, never mixed with stale files.

Source: the shared legacy mongodump fixture (written by the official `bson` codec), loaded
into the test's real PostgreSQL; the CLI runs as a subprocess.
"""

from __future__ import annotations

from pathlib import Path

from pmo_playbook.db.url import DatabaseUrl
from tests.migration.conftest import execute, rows
from tests.support.cli import run_pmo


def _migrate_fixture(fixtures_dir: Path, env: dict[str, str]) -> Path:
    dump = fixtures_dir / "legacy-mongo" / "dump"
    done = run_pmo("migrate", "run", "--from", str(dump), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return dump / "pmo_playbook"


def test_a_row_that_cannot_be_exported_is_named_and_nothing_is_left_behind(
    db_url: DatabaseUrl, fixtures_dir: Path, tmp_path: Path, env_for: dict[str, str]
) -> None:
    _migrate_fixture(fixtures_dir, env_for)
    # A hand-edited row whose type annotations no longer parse (the ones on migrated rows do).
    (legacy_id,) = rows(db_url, "SELECT legacy_id FROM users ORDER BY id LIMIT 1")[0]
    execute(
        db_url,
        'UPDATE users SET bson_annotations = \'{"v": 1, "orders": "garbage"}\' '
        "WHERE legacy_id = %s",
        (legacy_id,),
    )
    out = tmp_path / "rollback"
    done = run_pmo("migrate", "export", "--to", str(out), env=env_for)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"users row legacy_id {legacy_id}" in done.stderr
    assert "nothing was written" in done.stderr
    # Collections exported before users (projects, SOPs, chats, ...) are not left as a dump.
    assert not out.exists() or not any(out.rglob("*")), list(out.rglob("*"))
    assert [p.name for p in tmp_path.iterdir()] in ([], ["rollback"])


def test_a_destination_with_files_is_refused_and_replaced_only_on_purpose(
    db_url: DatabaseUrl, fixtures_dir: Path, tmp_path: Path, env_for: dict[str, str]
) -> None:
    source_files = _migrate_fixture(fixtures_dir, env_for)
    out = tmp_path / "rollback"
    stale = out / "pmo_playbook" / "retired_collection.bson"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"\x05\x00\x00\x00\x00")  # an earlier export's collection since dropped
    refused = run_pmo("migrate", "export", "--to", str(out), env=env_for)
    assert refused.returncode == 2 and "is not empty" in refused.stderr, refused.stderr
    assert [p.name for p in stale.parent.iterdir()] == ["retired_collection.bson"]

    replaced = run_pmo("migrate", "export", "--to", str(out), "--overwrite", env=env_for)
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert not stale.exists()
    for path in source_files.glob("*.bson"):
        assert (out / "pmo_playbook" / path.name).read_bytes() == path.read_bytes(), path.name
    # No hidden partial or old folders remain beside it.
    assert sorted(p.name for p in out.iterdir()) == ["pmo_playbook"]


def test_overwrite_never_deletes_what_an_export_does_not_write(
    db_url: DatabaseUrl, fixtures_dir: Path, tmp_path: Path, env_for: dict[str, str]
) -> None:
    _migrate_fixture(fixtures_dir, env_for)
    out = tmp_path / "home"
    out.mkdir()
    notes = out / "notes.txt"
    notes.write_text("not an export")
    done = run_pmo("migrate", "export", "--to", str(out), "--format", "mongoexport",
                   "--overwrite", env=env_for)  # fmt: skip
    assert done.returncode == 2 and "notes.txt" in done.stderr, done.stderr
    assert notes.read_text() == "not an export"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
