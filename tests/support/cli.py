"""Run the real `pmo` console script in a subprocess, with a controlled environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

PMO = [sys.executable, "-m", "pmo_playbook"]


def run_pmo(
    *args: str,
    env: Mapping[str, str] | None = None,
    input_text: str | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """`pmo ARGS` with DATABASE_URL and MONGODB_URI taken only from `env`."""
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MONGODB_URI")}
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
