"""The demo's closing hint names a `pmo` that runs, and `pmo serve --help` shows the defaults."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pmo_playbook.cli.demo import pmo_command
from pmo_playbook.cli.main import app


def test_demo_hint_names_the_venv_script_when_pmo_is_not_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the README's `.venv/bin/pmo demo`, `pmo` is not on PATH: the hint said `pmo serve`."""
    script = tmp_path / ".venv" / "bin" / "pmo"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    monkeypatch.setenv("PATH", str(tmp_path / "elsewhere"))
    assert pmo_command(str(script)) == str(script)
    assert pmo_command("pmo") == "pmo"
    assert pmo_command("/usr/lib/python3/runpy.py") == f"{sys.executable} -m pmo_playbook"


def test_serve_help_shows_default_host_and_port() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "default: 127.0.0.1" in result.output
    assert "default: 8000" in result.output
    assert "(default PMO_PORT)" not in result.output
