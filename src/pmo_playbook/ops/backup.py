"""Backups with pg_dump (custom format) and restores with pg_restore (the seed's Phase 6.4).

Fixes the seed's script: arguments are a list (no shell), the password travels in PGPASSWORD
(never on a command line or in a message), names carry the time to the second and never
overwrite, and a restore runs in a single transaction.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pmo_playbook.db.cluster import wheel_bin_dir
from pmo_playbook.db.url import DatabaseUrl, redact
from pmo_playbook.errors import InvalidInput, NotFound, StorageError

DUMP_MAGIC = b"PGDMP"
BACKUP_SUFFIX = ".dump"


@dataclass(frozen=True)
class BackupFile:
    """A backup on disk."""

    path: Path
    size: int
    modified: datetime


def find_tool(name: str) -> Path:
    """pg_dump/pg_restore: the wheel's (newest major, dumps any older server), else PATH."""
    try:
        candidate = wheel_bin_dir() / name
        if candidate.exists():
            return candidate
    except ImportError:
        pass
    found = shutil.which(name)
    if found:
        return Path(found)
    raise StorageError(f"{name} not found: install PostgreSQL client tools or the embedded wheel")


def _environment(url: DatabaseUrl) -> tuple[str, dict[str, str]]:
    conninfo, password = url.without_password()
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = password
    return conninfo, env


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    proc = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout or "").strip().splitlines()
        errors = [line for line in lines if "error:" in line] or lines
        reason = redact(errors[0]) if errors else f"exit code {proc.returncode}"
        raise StorageError(f"{what} failed: {reason}")


def new_backup_path(folder: Path, now: datetime | None = None) -> Path:
    """A timestamped file name in `folder` that does not exist yet."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    candidate = folder / f"pmo-playbook-{stamp}{BACKUP_SUFFIX}"
    counter = 1
    while candidate.exists():
        candidate = folder / f"pmo-playbook-{stamp}-{counter}{BACKUP_SUFFIX}"
        counter += 1
    return candidate


def refuse_pooler(url: DatabaseUrl, what: str) -> None:
    """pg_dump and pg_restore keep session state (search_path, snapshots, the restore's
    settings) that a transaction pooler hands to other server connections mid-way: measured
    through PgBouncer, a restore reported success and left no tables. Refuse, naming the fix."""
    if url.is_transaction_pooler():
        raise InvalidInput(
            f"{what} needs the database's direct endpoint: DATABASE_URL is a transaction pooler "
            "(PgBouncer port 6432 or a Neon -pooler host); set DATABASE_URL to the direct one "
            "for this command"
        )


def create_backup(url: DatabaseUrl, *, folder: Path, target: Path | None = None) -> BackupFile:
    """Dump the database to `target` (or a new timestamped file in `folder`); never overwrite."""
    refuse_pooler(url, "pmo backup create")
    if target is not None and target.exists():
        raise InvalidInput(f"{target} already exists; backups never overwrite a file")
    destination = target or new_backup_path(folder)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    conninfo, env = _environment(url)
    args = [
        str(find_tool("pg_dump")),
        "--format=custom",
        "--no-owner",
        f"--file={partial}",
        f"--dbname={conninfo}",
    ]
    try:
        _run(args, env, "pg_dump")
        try:
            os.link(partial, destination)  # fails instead of overwriting a file made meanwhile
        except FileExistsError:
            raise InvalidInput(
                f"{destination} appeared during the backup; not overwritten"
            ) from None
    finally:
        partial.unlink(missing_ok=True)
    stat = destination.stat()
    return BackupFile(destination, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))


def check_backup_file(path: Path) -> None:
    """Refuse a missing file or one that is not a pg_dump custom-format archive."""
    if not path.is_file():
        raise NotFound(f"backup file {path} does not exist")
    with path.open("rb") as handle:
        if handle.read(len(DUMP_MAGIC)) != DUMP_MAGIC:
            raise InvalidInput(f"{path} is not a pg_dump custom-format backup")


def restore_backup(url: DatabaseUrl, path: Path) -> None:
    """Replace the database's objects with the backup's, in one transaction."""
    refuse_pooler(url, "pmo backup restore")
    check_backup_file(path)
    conninfo, env = _environment(url)
    args = [
        str(find_tool("pg_restore")),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={conninfo}",
        str(path),
    ]
    _run(args, env, "pg_restore")


def list_backups(folder: Path) -> list[BackupFile]:
    """Backups in `folder`, newest first."""
    if not folder.is_dir():
        return []
    files = []
    for path in folder.glob(f"*{BACKUP_SUFFIX}"):
        stat = path.stat()
        files.append(BackupFile(path, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC)))
    return sorted(files, key=lambda f: f.modified, reverse=True)
