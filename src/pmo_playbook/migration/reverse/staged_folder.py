"""Writing an export's files all or nothing (the reverse export's destination folder).

The files are written (and fsynced) into a hidden folder on the destination's filesystem and
published only when complete:
- a NEW destination: the hidden folder is its sibling and is renamed to it: atomic;
- an EXISTING destination (empty, or an earlier export being replaced): the folder itself is
  never renamed (it may be the current directory or a mount point), so the hidden folder is made
  inside it; on success the earlier export's files are deleted and the new ones renamed up,
  one by one (milliseconds: a crash in that window leaves part of the new set, never a mix
  with the old one, and the rest in the hidden folder).
On any error, Ctrl-C included, the hidden folder is removed and the destination is untouched.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pmo_playbook.errors import InvalidInput

PARTIAL = ".pmo-export-partial-"
EXPORT_SUFFIXES = (".bson", ".metadata.json", ".json")


def check_destination(target: Path, overwrite: bool) -> None:
    """Refuse a destination that holds anything, unless replacing an earlier export."""
    if target.exists() and not target.is_dir():
        raise InvalidInput(f"export destination {target} exists and is not a folder")
    held = sorted(p for p in target.iterdir() if not _ours(p)) if target.is_dir() else []
    if not held:
        return
    if not overwrite:
        raise InvalidInput(
            f"export destination {target} is not empty ({len(held)} entries, e.g. "
            f"{held[0].name}): choose a new folder, or --overwrite to replace an earlier export"
        )
    foreign = [p for p in held if not _export_file(p)]
    if foreign:
        raise InvalidInput(
            f"refusing to replace {target}: it holds {foreign[0].name}, which an export does "
            "not write (only <collection>.bson, .metadata.json and .json files are replaced)"
        )


@contextmanager
def staged(target: Path) -> Iterator[Path]:
    """An empty hidden folder to write the export into; published at `target` on success.

    A file-system error (no permission, disk full) becomes one line naming the destination.
    """
    try:
        if target.exists():
            stage = target / f"{PARTIAL}{secrets.token_hex(4)}"
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            stage = target.parent / f".{target.name}{PARTIAL}{secrets.token_hex(4)}"
        stage.mkdir()
    except OSError as exc:
        raise _cannot_write(target, exc) from exc
    try:
        yield stage
        fsync(stage)
        _publish(stage, target)
    except BaseException as exc:
        shutil.rmtree(stage, ignore_errors=True)
        if isinstance(exc, OSError):
            raise _cannot_write(target, exc) from exc
        raise


def _cannot_write(target: Path, exc: OSError) -> InvalidInput:
    reason = exc.strerror or str(exc)
    return InvalidInput(f"cannot write the export to {target}: {reason}; nothing was written")


def _publish(stage: Path, target: Path) -> None:
    if stage.parent != target:
        stage.rename(target)
        fsync(target.parent)
        return
    for old in target.iterdir():
        if _ours(old) and old != stage:  # left by an export killed before its cleanup
            shutil.rmtree(old, ignore_errors=True)
        elif _export_file(old):
            old.unlink()
    for new in stage.iterdir():
        os.replace(new, target / new.name)
    stage.rmdir()
    fsync(target)


def _ours(path: Path) -> bool:
    return path.name.startswith(PARTIAL) and path.is_dir()


def _export_file(path: Path) -> bool:
    return path.is_file() and path.name.endswith(EXPORT_SUFFIXES)


def fsync(path: Path) -> None:
    """Flush a file's bytes, or a folder's entries, to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
