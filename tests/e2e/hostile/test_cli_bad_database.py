"""Every `pmo` command on an unusable database: one line, exit 2, no password anywhere.

Three ways a database is unusable: a URL libpq cannot parse (a password with a broken
percent-escape, which libpq quotes in its message), a server nobody listens on, and a wrong
password against the suite's real scram-sha-256 server. The command list is read from the
Typer app itself, so a new command is covered (or fails here until it gets its arguments)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main

from pmo_playbook.cli.demo import sample_data_dir
from pmo_playbook.cli.main import app
from pmo_playbook.ops.backup import DUMP_MAGIC
from tests.support.cli import run_pmo_in_process as run_pmo
from tests.support.pg import SUPERUSER_PASSWORD, TestServer

SECRET = "s3cretPW"
KINDS = ("unparseable", "unreachable", "wrong-password")
# Values for the required arguments and options, by parameter name. A new command with a
# required parameter not named here fails collection with a KeyError naming it.
ARGUMENTS = {
    "file": "{tmp}/backup.dump",
    "email": "someone@example.org",
    "role": "admin",
    "ref": "abc",
    "entry_id": "1",
    "module": "projects",
}
OPTIONS = {"name": ["--name", "Someone"], "active": ["--active"], "to": ["--to", "{tmp}/export"]}
# Flags that keep a command from prompting or waiting, added when the command has them.
NON_INTERACTIVE = {"--yes": [], "--password-stdin": [], "--all": [], "--no-serve": []}
# Commands that never open the database: they must not leak the password either, but they may
# succeed whatever DATABASE_URL says (and `db url` prints it masked once it parses).
NO_DATABASE = {
    ("db", "url"),
    ("db", "stop"),
    ("backup", "list"),
    ("migrate", "plan"),
    ("cutover", "apply"),
}
PARSES_URL = {("db", "url")}  # of those, what still reads the URL: exit 2 when it cannot parse


def _commands() -> list[tuple[tuple[str, ...], Any]]:
    found: list[tuple[tuple[str, ...], Any]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        subcommands = getattr(command, "commands", None)
        runnable = subcommands is None or getattr(command, "invoke_without_command", False)
        if runnable and path:
            found.append((path, command))
        for name, sub in (subcommands or {}).items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return found


def _argv(path: tuple[str, ...], command: Any, tmp: Path) -> list[str]:
    argv = list(path)
    for param in command.params:
        if param.required:
            given = ARGUMENTS[param.name] if param.param_type_name == "argument" else None
            argv += [given] if given else OPTIONS[param.name]
    opts = {opt for param in command.params for opt in param.opts}
    if "--from" in opts:  # the packaged sample export: a source that exists
        argv += ["--from", str(sample_data_dir())]
    if "--port" in opts:
        argv += ["--port", "0"]
    argv += [flag for flag in NON_INTERACTIVE if flag in opts]
    return [arg.format(tmp=tmp) for arg in argv]


def _urls(pg_server: TestServer) -> dict[str, str]:
    wrong = pg_server.url().raw.replace(SUPERUSER_PASSWORD, SECRET)
    assert wrong != pg_server.url().raw
    return {
        "unparseable": f"postgresql://pmo:{SECRET}%ZZ@localhost/pmo",
        "unreachable": f"postgresql://pmo:{SECRET}@127.0.0.1:1/pmo",
        "wrong-password": wrong,
    }


COMMANDS = _commands()


def test_the_sweep_covers_every_command_of_the_app() -> None:
    paths = {path for path, _ in COMMANDS}
    assert {("serve",), ("demo",), ("db", "url"), ("users", "create")} <= paths
    assert paths >= NO_DATABASE, NO_DATABASE - paths
    assert len(paths) >= 30


@pytest.mark.slow
@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_command_on_an_unusable_database_is_one_line_and_exit_2(
    path: tuple[str, ...], command: Any, pg_server: TestServer, tmp_path: Path
) -> None:
    (tmp_path / "backup.dump").write_bytes(DUMP_MAGIC + b"\0" * 64)
    argv = _argv(path, command, tmp_path)
    for kind, url in _urls(pg_server).items():
        env = {
            "DATABASE_URL": url,
            "PMO_DATA_DIR": str(tmp_path / "data"),
            "PMO_BACKUP_DIR": str(tmp_path / "backups"),
        }
        result = run_pmo(*argv, env=env, input_text="a-password-1234\n", timeout=120)
        out = result.stdout + result.stderr
        where = (kind, argv, out)
        assert SECRET not in out and "Traceback" not in out, where
        assert "PMO Playbook at" not in out, where
        if path in NO_DATABASE and not (kind == "unparseable" and path in PARSES_URL):
            assert result.returncode in (0, 2), where
            continue
        assert result.returncode == 2, where
        assert len(out.strip().splitlines()) == 1, where
        assert result.stdout.strip() == "" and result.stderr.strip(), where  # on stderr
