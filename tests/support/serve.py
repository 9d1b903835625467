"""A real `pmo serve` subprocess on a free port (workers, pools and uvicorn as in production)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from pmo_playbook.db.cluster import free_port
from pmo_playbook.db.url import DatabaseUrl


@contextmanager
def pmo_serve(
    url: DatabaseUrl, tmp_path: Path, *, workers: int = 1, **env_overrides: object
) -> Iterator[str]:
    """Serve `url` until the block ends; yields the base URL once /healthz answers 200."""
    port = free_port()
    tmp_path.mkdir(parents=True, exist_ok=True)
    out = tmp_path / f"serve-{port}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMO_")}
    env.pop("MONGODB_URI", None)
    env.update({"DATABASE_URL": url.raw, "PMO_DATA_DIR": str(tmp_path / "data")})
    env.update({key: str(value) for key, value in env_overrides.items()})
    args = [sys.executable, "-m", "pmo_playbook", "serve", "--port", str(port)]
    with out.open("w") as sink:
        proc = subprocess.Popen(
            [*args, "--workers", str(workers)], env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _healthy(base):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"pmo serve did not start:\n{out.read_text()[-3000:]}")
            time.sleep(0.1)
        yield base
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if the server has not exited 20 s later."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _healthy(base: str) -> bool:
    try:
        return httpx.get(base + "/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False
