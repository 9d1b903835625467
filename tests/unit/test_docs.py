"""Docs are tested: every setting and every CLI command is documented."""

from __future__ import annotations

import re
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


def _named_paths(text: str) -> list[str]:
    """Backticked paths into the package or the repository, such as `web/app.py`,
    `documents/registry/` or `tests/unit/test_layers.py` (not paths of other software)."""
    root = DOCS.parent
    tops = {p.name for p in (root / "src" / "pmo_playbook").iterdir() if p.is_dir()}
    tops |= {"tests", "bench", "docs", "scripts"}
    found = re.findall(r"`([A-Za-z_][\w./]*/[\w./]*)`", text)
    return [p for p in found if p.split("/", 1)[0] in tops]


def test_every_module_the_architecture_names_exists() -> None:
    root = DOCS.parent
    named = _named_paths((DOCS / "architecture.md").read_text())
    assert "web/app.py" in named  # the extraction itself works
    missing = [
        path
        for path in named
        if not any((base / path).exists() for base in (root / "src" / "pmo_playbook", root))
    ]
    assert missing == []
