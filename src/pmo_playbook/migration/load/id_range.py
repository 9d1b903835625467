"""Load one `_id` range of every collection: the unit of a load split over processes or machines.

A range is half-open, `[low, high)`, over the canonical `_id` text (an ObjectId's 24 lowercase
hex digits sort like the ObjectIds themselves, and their first 8 digits are the creation time,
so ranges split a collection by age). Either end may be open: `--id-range 65a0:` or `:65a0`.

`IdRangeSource` wraps any source and hands out only the documents of the range; its
description names the range, so each range is a run of its own (own checkpoints, own resume).
A file source is still read whole (the range filters it); a live source is filtered the same way
(a `$gte`/`$lt` query would read less and is the natural next step). Rows outside the range are
not this run's business: the run reports and verifies only the range's rows, and refuses
`--prune`, which would take every other range's rows for deletions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from pmo_playbook.errors import InvalidInput
from pmo_playbook.migration.codec import document as codec
from pmo_playbook.migration.sources.base import (
    ResumePoint,
    Source,
    SourceCollection,
    SourceDocument,
)

_BOUND = re.compile(r"^[0-9a-f]{0,24}$")


@dataclass(frozen=True)
class IdRange:
    """`[low, high)` over canonical `_id` texts; None is an open end."""

    low: str | None
    high: str | None

    @classmethod
    def parse(cls, text: str) -> IdRange:
        """`LOW:HIGH` (hex prefixes of ObjectIds, either may be empty)."""
        low, sep, high = text.strip().lower().partition(":")
        if not sep or not _BOUND.match(low) or not _BOUND.match(high) or not (low or high):
            raise InvalidInput(
                f"--id-range {text!r}: expected LOW:HIGH, hex ObjectId prefixes, one may be empty"
            )
        if low and high and low >= high:
            raise InvalidInput(f"--id-range {text!r}: LOW must sort before HIGH")
        return cls(low or None, high or None)

    def __str__(self) -> str:
        return f"{self.low or ''}:{self.high or ''}"

    def contains(self, legacy_id: str | None) -> bool:
        if legacy_id is None:
            return False
        return (self.low is None or legacy_id >= self.low) and (
            self.high is None or legacy_id < self.high
        )

    def where(self) -> sql.Composable:
        """` AND legacy_id` within the range (`COLLATE "C"`: the byte order `contains` uses)."""
        parts: list[sql.Composable] = []
        if self.low is not None:
            parts.append(sql.SQL(' AND legacy_id COLLATE "C" >= {}').format(sql.Literal(self.low)))
        if self.high is not None:
            parts.append(sql.SQL(' AND legacy_id COLLATE "C" < {}').format(sql.Literal(self.high)))
        return sql.Composed(parts)


def legacy_id_of(raw: bytes) -> str | None:
    """The canonical `_id` text of a raw document (as the row codec computes it)."""
    if raw[4:9] == b"\x07_id\x00":  # the usual case: an ObjectId `_id` first
        return raw[9:21].hex()
    doc = codec.decode_exact(raw)
    return codec.legacy_id_for(doc["_id"]) if "_id" in doc else None


class IdRangeSource:
    """`inner`, restricted to the documents whose `_id` lies in `id_range`."""

    def __init__(self, inner: Source, id_range: IdRange) -> None:
        self.inner = inner
        self.id_range = id_range
        self.kind = inner.kind
        self.description = f"{inner.description} (_id range {id_range})"

    def __getattr__(self, name: str) -> Any:  # defer_checks and the like: the inner source's
        return getattr(self.inner, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in {"inner", "id_range", "kind", "description"}:
            object.__setattr__(self, name, value)
        else:
            setattr(self.inner, name, value)

    def collections(self) -> list[SourceCollection]:
        """The inner collections; counts unknown (how many fall in the range is not known)."""
        return [SourceCollection(c.name, None, None, c.indexes) for c in self.inner.collections()]

    def documents(
        self, collection: str, resume: ResumePoint | None = None
    ) -> Iterator[SourceDocument]:
        """The range's documents in source order; `resume.index` counts range documents."""
        skip = resume.index if resume is not None else 0
        inner_resume = None
        if resume is not None and resume.last_id is not None and self.kind == "mongodb":
            inner_resume, skip = resume, 0  # the live source resumes by `_id` itself
        for doc in self.inner.documents(collection, inner_resume):
            if not self.id_range.contains(legacy_id_of(doc.raw)):
                continue
            if skip:
                skip -= 1
                continue
            yield doc

    def close(self) -> None:
        self.inner.close()
