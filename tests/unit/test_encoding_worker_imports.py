"""The encoding worker starts without the database driver (its start-up is paid per collection)."""

from __future__ import annotations

import subprocess
import sys


def test_the_encoding_worker_module_imports_no_psycopg() -> None:
    # The worker is `python -m pmo_playbook.migration.load.pipeline`: what that module imports
    # is what every worker start costs. psycopg alone was about half of it (≈ 0.45 s of CPU).
    code = (
        "import sys, pmo_playbook.migration.load.pipeline as p; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'pymongo')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"
