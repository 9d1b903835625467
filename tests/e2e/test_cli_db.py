"""`pmo db` and `pmo backup` as a user runs them: real subprocesses, real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.ops.backup import DUMP_MAGIC
from tests.support.cli import run_pmo_in_process as run_pmo
from tests.support.pg import APPLICATION_TABLES, SUPERUSER_PASSWORD, TestServer
from tests.support.pgbouncer import neon_style_pooler


def _env(url: DatabaseUrl, tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": url.raw, "PMO_DATA_DIR": str(tmp_path / "data")}


def test_db_check_success_prints_each_step(db_url: DatabaseUrl, tmp_path: Path) -> None:
    result = run_pmo("db", "check", env=_env(db_url, tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 5
    assert all(line.startswith("✅") for line in lines)
    assert db_url.dbname in lines[0]
    assert "PostgreSQL 18" in lines[0]
    assert "PostgreSQL JSONB working" in lines[3]


def test_db_check_wrong_password_fails_without_leaking_it(
    pg_server: TestServer, tmp_path: Path
) -> None:
    wrong = "hunter2-not-the-password"
    url = pg_server.url().raw.replace(SUPERUSER_PASSWORD, wrong)
    result = run_pmo("db", "check", env={"DATABASE_URL": url, "PMO_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    out = result.stdout + result.stderr
    assert result.stderr.startswith("error: connect:") and result.stdout == ""
    assert "authentication failed" in out
    assert wrong not in out
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://u:pw-secret@localhost/db", "must start with postgresql://"),
        ("postgresql://u:pw-secret@localhost:notaport/db", "malformed DATABASE_URL"),
        ("postgresql://u:pw-secret@127.0.0.1:1/db", "cannot reach the database server"),
    ],
)
def test_db_commands_bad_url_one_line_exit_2(url: str, expected: str, tmp_path: Path) -> None:
    result = run_pmo("db", "status", env={"DATABASE_URL": url, "PMO_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert expected in result.stderr
    assert "pw-secret" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_db_missing_database_is_named(pg_server: TestServer, tmp_path: Path) -> None:
    url = pg_server.url("no_such_database_here").raw
    result = run_pmo("db", "status", env={"DATABASE_URL": url, "PMO_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "'no_such_database_here' does not exist" in result.stderr


def test_debug_flag_shows_traceback(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "postgresql://u:pw@127.0.0.1:1/db", "PMO_DATA_DIR": str(tmp_path)}
    result = run_pmo("--debug", "db", "status", env=env)
    assert result.returncode == 2
    assert "Traceback" in result.stderr


def test_create_schema_twice_then_drop_round_trip(
    empty_db_url: DatabaseUrl, tmp_path: Path
) -> None:
    env = _env(empty_db_url, tmp_path)
    first = run_pmo("db", "create-schema", env=env)
    assert first.returncode == 0, first.stderr
    assert "table projects" in first.stdout
    assert "trigger projects_set_updated_at on projects" in first.stdout
    for table in APPLICATION_TABLES:
        assert f"✅ table {table} (" in first.stdout
    assert "function pmo_set_updated_at" in first.stdout
    summary = next(line for line in first.stdout.splitlines() if line.startswith("Summary:"))
    assert int(summary.split()[1]) >= 9
    # functions that belong to extensions (pgvector's) are not ours to report
    assert "function vector_in" not in first.stdout
    second = run_pmo("db", "create-schema", env=env)
    assert "nothing to do" in second.stdout
    dry = run_pmo("db", "drop-schema", "--dry-run", env=env)
    assert "would drop table projects" in dry.stdout
    refused = run_pmo("db", "drop-schema", env=env, input_text="n\n")
    assert refused.returncode != 0
    with psycopg.connect(empty_db_url.raw) as conn:
        assert conn.execute("SELECT to_regclass('projects') IS NOT NULL").fetchone() == (True,)
    dropped = run_pmo("db", "drop-schema", "--yes", env=env)
    assert dropped.returncode == 0, dropped.stderr
    with psycopg.connect(empty_db_url.raw) as conn:
        assert conn.execute("SELECT to_regclass('projects') IS NULL").fetchone() == (True,)
    again = run_pmo("db", "create-schema", env=env)
    assert again.stdout.count("✅ table ") == first.stdout.count("✅ table ")


# pg_dump/pg_restore need the direct endpoint (through a pooler they are refused, below).
@pytest.mark.direct_connection
def test_backup_drop_restore_gives_same_rows(db_url: DatabaseUrl, tmp_path: Path) -> None:
    env = _env(db_url, tmp_path)
    with psycopg.connect(db_url.raw) as conn:
        for n in range(1, 4):
            conn.execute(
                "INSERT INTO projects (project_id, data) VALUES (%s, %s::jsonb)",
                (f"PRO-{n:03d}", f'{{"projectName": "P{n}", "n": {n}}}'),
            )
        rows_before = conn.execute("SELECT project_id, data FROM projects ORDER BY 1").fetchall()
    made = run_pmo("backup", "create", env=env)
    assert made.returncode == 0, made.stderr
    second = run_pmo("backup", "create", env=env)
    assert second.returncode == 0, second.stderr
    files = sorted((tmp_path / "data" / "backups").glob("*.dump"))
    assert len(files) == 2  # timestamped names never overwrite
    listed = run_pmo("backup", "list", env=env)
    assert all(str(f) in listed.stdout for f in files)
    assert SUPERUSER_PASSWORD not in made.stdout + made.stderr + listed.stdout
    assert run_pmo("db", "drop-schema", "--yes", env=env).returncode == 0
    restored = run_pmo("backup", "restore", str(files[0]), "--yes", env=env)
    assert restored.returncode == 0, restored.stderr
    with psycopg.connect(db_url.raw) as conn:
        rows_after = conn.execute("SELECT project_id, data FROM projects ORDER BY 1").fetchall()
    assert rows_after == rows_before


@pytest.mark.parametrize("command", ["create", "restore"])
def test_backups_through_a_transaction_pooler_are_refused_in_one_line(
    db_url: DatabaseUrl, tmp_path: Path, command: str
) -> None:
    env = {**_env(db_url, tmp_path), "DATABASE_URL": neon_style_pooler(db_url).raw}
    archive = tmp_path / "old.dump"
    archive.write_bytes(DUMP_MAGIC + b"\0" * 64)  # looks like a backup: refused for the URL
    arguments = (str(archive), "--yes") if command == "restore" else ()
    done = run_pmo("backup", command, *arguments, env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "direct endpoint" in line and "transaction pooler" in line
    assert SUPERUSER_PASSWORD not in done.stdout + done.stderr
    assert not (tmp_path / "data" / "backups").exists() or not any(
        (tmp_path / "data" / "backups").iterdir()
    )


@pytest.mark.direct_connection  # through a pooler backups are refused first (test below)
def test_backup_to_existing_file_refused(db_url: DatabaseUrl, tmp_path: Path) -> None:
    target = tmp_path / "exists.dump"
    target.write_bytes(b"keep me")
    result = run_pmo("backup", "create", "--to", str(target), env=_env(db_url, tmp_path))
    assert result.returncode == 2
    assert "never overwrite" in result.stderr
    assert target.read_bytes() == b"keep me"


def test_restore_rejects_non_backup_file(db_url: DatabaseUrl, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.dump"
    bogus.write_text("not a dump")
    result = run_pmo("backup", "restore", str(bogus), "--yes", env=_env(db_url, tmp_path))
    assert result.returncode == 2
    assert "not a pg_dump custom-format backup" in result.stderr


def test_db_url_redacts_unless_asked(db_url: DatabaseUrl, tmp_path: Path) -> None:
    hidden = run_pmo("db", "url", env=_env(db_url, tmp_path))
    assert SUPERUSER_PASSWORD not in hidden.stdout
    assert "****" in hidden.stdout
    shown = run_pmo("db", "url", "--show-password", env=_env(db_url, tmp_path))
    assert SUPERUSER_PASSWORD in shown.stdout
