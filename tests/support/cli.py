"""Run the `pmo` command line: in-process through Typer's CliRunner, or as a real subprocess.

`run_pmo_in_process` calls the console script's own entry point (`cli.main.run`, with its one-line error
policy and exit codes) inside `CliRunner.isolation`: stdout, stderr, stdin and the environment
are the command's own, as in a subprocess, but no interpreter is started (a subprocess costs
about a second of imports per call, which dominated the suite). `run_pmo` starts the real `python -m pmo_playbook`; the CLI test files
moved to the in-process runner so far import it as `run_pmo`.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Mapping
from pathlib import Path

from typer.testing import CliRunner

import pmo_playbook
from pmo_playbook.cli import main

PMO = [sys.executable, "-m", "pmo_playbook"]
# What sys.argv[0] is under `python -m pmo_playbook` (the demo's hint reads it).
_MAIN = str(Path(pmo_playbook.__file__).with_name("__main__.py"))
_SCRUBBED = ("DATABASE_URL", "MONGODB_URI")


def run_pmo_in_process(
    *args: str,
    env: Mapping[str, str] | None = None,
    input_text: str | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """`pmo ARGS` in-process, with DATABASE_URL and MONGODB_URI taken only from `env`.

    `timeout` is accepted for the subprocess signature's sake; an in-process command cannot be
    interrupted from outside, and the suite's own timeouts cover a hang.
    """
    del timeout
    overrides: dict[str, str | None] = dict.fromkeys(_SCRUBBED)
    overrides.update(env or {})
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    argv, here = sys.argv, os.getcwd()
    code = 0
    with CliRunner().isolation(input=input_text, env=overrides) as (out, err, _):
        sys.argv = [_MAIN, *args]
        try:
            if cwd is not None:
                os.chdir(cwd)
            main.run()
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                sys.stderr.write(f"{exc.code}\n")
                code = 1
        except BaseException:  # what a process would print before dying
            traceback.print_exc(file=sys.stderr)
            code = 1
        finally:
            sys.argv = argv
            os.chdir(here)
            # The command configures the root logger for its own stderr; give it back.
            root.handlers[:] = handlers
            root.setLevel(level)
        stdout = out.getvalue().decode("utf-8", "replace")
        stderr = err.getvalue().decode("utf-8", "replace")
    return subprocess.CompletedProcess(["pmo", *args], code, stdout, stderr)


def run_pmo(
    *args: str,
    env: Mapping[str, str] | None = None,
    input_text: str | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """`pmo ARGS` in a real subprocess, with DATABASE_URL and MONGODB_URI taken only from `env`."""
    base = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    base.update(env or {})
    return subprocess.run(
        [*PMO, *args],
        env=base,
        input=input_text,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or Path.cwd(),
        check=False,
    )
