"""What a migration run, a verification and an export report (human lines and JSON)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CollectionReport:
    """Per source collection: what the load did and what the read-back verification found."""

    collection: str
    table: str | None  # None: unmapped and not kept
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    identical: int = 0
    different: int = 0
    dangling_refs: int = 0
    seconds: float = 0.0
    source_count: int = 0  # documents in the source (read over all runs of this migration)
    row_count: int = 0  # rows of this collection in PostgreSQL after the run
    quarantined_ids: list[str] = field(default_factory=list)  # open entries (canonical _id text)
    # Open entries whose document the source no longer has (deleted there; --prune closes them).
    quarantined_gone_ids: list[str] = field(default_factory=list)
    extra_count: int = 0  # rows whose legacy_id the source no longer has (deleted there)
    extra_ids: list[str] = field(default_factory=list)  # the first of them

    @property
    def docs_per_second(self) -> float:
        return round(self.read / self.seconds, 1) if self.seconds > 0 else 0.0

    @property
    def expected_rows(self) -> int:
        return self.source_count - len(self.quarantined_ids)

    @property
    def ok(self) -> bool:
        return (
            self.table is not None
            and not self.quarantined_ids
            and not self.quarantined_gone_ids
            and self.extra_count == 0
            and self.different == 0
            and self.row_count == self.expected_rows
            and self.identical == self.expected_rows
        )

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["docs_per_second"] = self.docs_per_second
        data["seconds"] = round(self.seconds, 3)
        return data


@dataclass
class RunReport:
    """The result of `migrate()`: per collection, unmapped collections, and the verdict."""

    run_id: int
    source: str
    resumed: bool = False
    collections: list[CollectionReport] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)  # reported, not kept
    seconds: float = 0.0
    restarted: list[str] = field(default_factory=list)  # collections reloaded: source changed
    unreadable_ids: int = 0  # documents whose `_id` could not be read (listing incomplete)
    not_in_source: list[str] = field(default_factory=list)  # tables no source collection feeds
    pruned: dict[str, int] | None = None  # --prune: rows deleted per target ({} = none deleted)
    quarantine_closed: int = 0  # --prune: entries closed as 'gone from the source'
    prune_refused: str | None = None  # --prune refused, and why

    @property
    def changed(self) -> bool:
        return any(c.inserted or c.updated for c in self.collections)

    @property
    def quarantined(self) -> int:
        return sum(len(c.quarantined_ids) for c in self.collections)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.collections if c.table is not None)

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "source": self.source,
            "resumed": self.resumed,
            "changed": self.changed,
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "unmapped": self.unmapped,
            "restarted": self.restarted,
            "not_in_source": self.not_in_source,
            "pruned": self.pruned,
            "quarantine_closed": self.quarantine_closed,
            "prune_refused": self.prune_refused,
            "collections": {c.collection: c.as_json() for c in self.collections},
        }


def summary_line(c: CollectionReport) -> tuple[bool, str]:
    """The seed's checkpoint-style line for one collection, and whether it is all good."""
    counts_ok = c.row_count == c.expected_rows
    parts = [f"{c.collection}: MongoDB {c.source_count} documents, PostgreSQL {c.row_count} rows"]
    parts.append("✅ counts match" if counts_ok else f"❌ expected {c.expected_rows} rows")
    if c.identical == c.expected_rows and c.different == 0:
        parts.append(f"✅ all {c.identical} documents identical")
    else:
        parts.append(f"❌ {c.identical} identical, {c.different} different")
    if c.quarantined_ids:
        parts.append(f"❌ {len(c.quarantined_ids)} quarantined")
    if c.quarantined_gone_ids:
        gone = len(c.quarantined_gone_ids)
        parts.append(f"❌ {gone} quarantined documents no longer in the source")
    if c.extra_count:
        parts.append(f"❌ {c.extra_count} rows no longer in the source")
    if c.dangling_refs:
        parts.append(f"⚠️ {c.dangling_refs} dangling humanSopId")
    return c.ok, ", ".join(parts)
