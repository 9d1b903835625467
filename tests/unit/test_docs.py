"""Docs are tested: every setting and every CLI command is documented."""

from __future__ import annotations

from pathlib import Path

import typer.main
from typer.core import TyperGroup

from pmo_playbook.cli.main import app
from pmo_playbook.config import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _env_names() -> list[str]:
    names = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        names.append(str(choices[0]) if choices else str(alias or name).upper())
    return names


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text()
    missing = [n for n in _env_names() if f"`{n}`" not in text]
    assert missing == []


def _commands(group: TyperGroup, prefix: str = "pmo") -> list[str]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, TyperGroup) and command.commands:
            found += _commands(command, path)
        else:
            found.append(path)
    return found


def test_every_cli_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    commands = _commands(root)
    assert "pmo db check" in commands
    missing = [c for c in commands if f"`{c}" not in text]
    assert missing == []
