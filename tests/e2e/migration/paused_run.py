"""A `migrate()` running in a thread, held still right after its first committed batch.

Source: a real mongodump (official `bson` codec) of feedback documents, wrapped so that reading
blocks inside the third batch: the loader reads batch N+1 before committing batch N, so exactly
batch 1 is committed and batch 2 is read while it waits. Tests look at (or interfere with) a
live run there, then let it go on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.load.loader import LoadOptions
from pmo_playbook.migration.load.report import RunReport
from pmo_playbook.migration.load.run import migrate
from pmo_playbook.migration.sources.base import (
    ResumePoint,
    Source,
    SourceCollection,
    SourceDocument,
)
from tests.e2e.migration.test_resume_and_failures import _feedback
from tests.support.migration import rows, source, write_dump

BATCH = 500


class PausedAfter:
    """A real source that blocks after `n` documents until `resume` is set."""

    def __init__(self, inner: Source, n: int) -> None:
        self.inner, self.n = inner, n
        self.kind, self.description = inner.kind, inner.description
        self.reached, self.resume = threading.Event(), threading.Event()

    def collections(self) -> list[SourceCollection]:
        return self.inner.collections()

    def documents(
        self, collection: str, resume: ResumePoint | None = None
    ) -> Iterator[SourceDocument]:
        for i, doc in enumerate(self.inner.documents(collection, resume)):
            if i == self.n:
                self.reached.set()
                assert self.resume.wait(120), "never resumed"
            yield doc

    def close(self) -> None:
        self.inner.close()


@dataclass
class PausedRun:
    dump: Path
    source: PausedAfter
    thread: threading.Thread
    results: list[RunReport | BaseException] = field(default_factory=list)

    def finish(self) -> RunReport | BaseException:
        """Let the run go on and wait for its end; its report, or what it raised."""
        self.source.resume.set()
        self.thread.join(120)
        assert not self.thread.is_alive(), "the run did not end"
        return self.results[0]


def wait_for(check: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@contextmanager
def paused_run(tmp_path: Path, db_url: DatabaseUrl, total: int = 2000) -> Iterator[PausedRun]:
    """Yield once batch 1 of `total` feedback documents is committed and the run waits."""
    dump = write_dump(tmp_path / "dump", {"message_feedback": _feedback(total)})
    paused = PausedAfter(source(dump), 2 * BATCH + BATCH // 2)
    run = PausedRun(dump, paused, threading.Thread(daemon=True))

    def load() -> None:
        try:
            run.results.append(migrate(db_url, paused, LoadOptions(batch_size=BATCH)))
        except BaseException as exc:
            run.results.append(exc)

    run.thread = threading.Thread(target=load, daemon=True)
    run.thread.start()
    try:
        assert paused.reached.wait(60)
        wait_for(lambda: rows(db_url, "SELECT next_index FROM migration_checkpoints") == [(BATCH,)])
        yield run
    finally:
        paused.resume.set()
        run.thread.join(120)
