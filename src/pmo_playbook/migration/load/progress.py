"""Progress reporting for long loads: a small protocol, and a rich implementation on stderr."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class ProgressSink(Protocol):
    """Receives per-collection progress; the library never prints by itself."""

    def start(self, collection: str, total: int | None, done: int) -> None: ...

    def advance(self, collection: str, count: int) -> None: ...

    def finish(self, collection: str) -> None: ...


class NullProgress:
    """Progress that goes nowhere (library use, tests)."""

    def start(self, collection: str, total: int | None, done: int) -> None:
        return None

    def advance(self, collection: str, count: int) -> None:
        return None

    def finish(self, collection: str) -> None:
        return None


class RichProgress:
    """One bar per collection on stderr: count, rate and ETA."""

    def __init__(self, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def start(self, collection: str, total: int | None, done: int) -> None:
        self._tasks[collection] = self._progress.add_task(
            collection, total=total, completed=done, rate=""
        )

    def advance(self, collection: str, count: int) -> None:
        task_id = self._tasks[collection]
        self._progress.advance(task_id, count)
        speed = self._progress.tasks[task_id].speed
        self._progress.update(task_id, rate=f"{speed:,.0f} docs/s" if speed else "")

    def finish(self, collection: str) -> None:
        task_id = self._tasks[collection]
        task = self._progress.tasks[task_id]
        self._progress.update(task_id, total=task.completed)
