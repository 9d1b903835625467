"""`pmo migrate export` is what a rollback restores: all or nothing, never mixed with stale files.

Source: the shared legacy mongodump fixture (written by the official `bson` codec), loaded
into the test's real PostgreSQL; the CLI runs in-process through Typer's CliRunner.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.reverse.export import export
from tests.support.cli import run_pmo_in_process as run_pmo
from tests.support.migration import execute, rows


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
    # No hidden partial folder remains, beside it or inside it.
    assert sorted(p.name for p in out.iterdir()) == ["pmo_playbook"]
    assert not [p for p in (out / "pmo_playbook").iterdir() if p.name.startswith(".")]


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


def test_an_export_into_the_current_empty_folder_keeps_that_folder(
    db_url: DatabaseUrl,
    fixtures_dir: Path,
    tmp_path: Path,
    env_for: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`--to .`: the folder a shell stands in is filled, never renamed away and replaced."""
    source_files = _migrate_fixture(fixtures_dir, env_for)
    here = tmp_path / "here"
    here.mkdir()
    inode = here.stat().st_ino
    monkeypatch.chdir(here)
    export(db_url, Path("."), fmt="mongoexport")
    assert Path.cwd().stat().st_ino == inode == here.stat().st_ino
    names = sorted(p.name for p in here.iterdir())
    assert names == sorted(f"{p.stem}.json" for p in source_files.glob("*.bson"))


def test_overwrite_clears_what_a_killed_export_left_inside(
    db_url: DatabaseUrl, fixtures_dir: Path, tmp_path: Path, env_for: dict[str, str]
) -> None:
    source_files = _migrate_fixture(fixtures_dir, env_for)
    out = tmp_path / "rollback"
    export(db_url, out)
    leftover = out / "pmo_playbook" / ".pmo-export-partial-dead"  # SIGKILL: no cleanup ran
    leftover.mkdir()
    (leftover / "projects.bson").write_bytes(b"partial")
    export(db_url, out, overwrite=True)
    written = sorted(p.name for p in (out / "pmo_playbook").iterdir())
    assert written == sorted(
        n for p in source_files.glob("*.bson") for n in (p.name, f"{p.stem}.metadata.json")
    )


def test_a_destination_that_cannot_be_written_is_one_line_exit_2(
    db_url: DatabaseUrl, fixtures_dir: Path, tmp_path: Path, env_for: dict[str, str]
) -> None:
    _migrate_fixture(fixtures_dir, env_for)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = run_pmo("migrate", "export", "--to", str(blocker / "sub"), env=env_for)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"cannot write the export to {blocker / 'sub' / 'pmo_playbook'}" in done.stderr
    assert blocker.read_text() == "not a folder"
