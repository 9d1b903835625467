"""Every `pmo` command on an unusable database: one line, exit 2, no password anywhere.

Three ways a database is unusable: a URL libpq cannot parse (a password with a broken
percent-escape, which libpq quotes in its message), a server nobody listens on, and a wrong
password against the suite's real scram-sha-256 server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_pmo_in_process as run_pmo
from tests.support.pg import SUPERUSER_PASSWORD, TestServer

SECRET = "s3cretPW"
COMMANDS = [
    ("db", "check"),
    ("db", "status"),
    ("db", "create-schema"),
    ("db", "drop-schema", "--yes"),
    ("users", "list"),
    ("users", "tokens"),
    ("migrate", "status"),
    ("migrate", "quarantine", "list"),
    ("backup", "create"),
    ("serve", "--port", "0"),
    ("demo", "--no-serve"),
]


def _urls(pg_server: TestServer) -> dict[str, str]:
    wrong = pg_server.url().raw.replace(SUPERUSER_PASSWORD, SECRET)
    assert wrong != pg_server.url().raw
    return {
        "unparseable": f"postgresql://pmo:{SECRET}%ZZ@localhost/pmo",
        "unreachable": f"postgresql://pmo:{SECRET}@127.0.0.1:1/pmo",
        "wrong-password": wrong,
    }


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["unparseable", "unreachable", "wrong-password"])
def test_every_command_on_an_unusable_database_is_one_line_and_exit_2(
    kind: str, pg_server: TestServer, tmp_path: Path
) -> None:
    env = {
        "DATABASE_URL": _urls(pg_server)[kind],
        "PMO_DATA_DIR": str(tmp_path / "data"),
        "PMO_BACKUP_DIR": str(tmp_path / "backups"),
    }
    for command in COMMANDS:
        result = run_pmo(*command, env=env, timeout=120)
        out = result.stdout + result.stderr
        assert result.returncode == 2, (command, out)
        assert len(out.strip().splitlines()) == 1, (command, out)
        assert SECRET not in out and "Traceback" not in out, (command, out)
        assert "PMO Playbook at" not in out, (command, out)
