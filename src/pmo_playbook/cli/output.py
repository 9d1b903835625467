"""CLI output helpers: the only place that prints. Results to stdout, progress to stderr."""

from __future__ import annotations

import sys
from typing import Any

import orjson
from rich.console import Console

from pmo_playbook.db.url import redact

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def say(message: str) -> None:
    """A line of normal output (stdout), passwords redacted."""
    console.print(redact(message), markup=False)


def ok(message: str) -> None:
    """A success line."""
    say(f"✅ {message}")


def bad(message: str) -> None:
    """A failure line (stdout, so it sits beside the ✅ lines of the same report)."""
    say(f"❌ {message}")


def warn(message: str) -> None:
    """A warning line on stderr."""
    err_console.print(f"⚠️  {redact(message)}", markup=False)


def error_line(message: str) -> None:
    """The one line printed for an error that ends the command."""
    err_console.print(f"error: {redact(message)}", markup=False)


def emit_json(data: Any) -> None:
    """Machine-readable output on stdout."""
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
    sys.stdout.flush()
