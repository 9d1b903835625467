"""Legacy documents generated from the collection registry, seeded, at any scale.

Uniform documents (every chat the same length, every field present) flattered the loader: the
codec's fast path and the JSON builder met one shape again and again. Here every document is
made by walking its collection's `shape` (documents/registry): each field is present, absent
or null; arrays have lengths from none to dozens; strings are short labels or long paragraphs;
some documents carry their fields in a legacy order variant (a field `$set` later moves to the
end, an unknown field is appended). Only the typed columns are held to their rules (natural
keys unique and matching their pattern, vocabularies, integer bounds, the agent → human SOP
reference), so every document is a valid row and the COPY limit is measured on the same rows.
Value kinds of untyped (`any`) fields follow their names (…Content → long text, tags → list of
labels, confidence → number, is… → boolean): generic rules, not a copy of any fixture.
"""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import bson
from bson import ObjectId

from pmo_playbook.documents.registry import COLLECTIONS
from pmo_playbook.documents.registry.collection import Collection
from pmo_playbook.documents.registry.columns import Column
from pmo_playbook.documents.registry.shape import Node

# Share of the dump per collection (chats and feedback dominate a real deployment).
SHARES = {
    "projects": 0.06,
    "human_sops": 0.01,
    "agent_sops": 0.01,
    "chat_histories": 0.30,
    "userfeedback": 0.09,
    "message_feedback": 0.33,
    "change_proposals": 0.06,
    "sop_version_history": 0.06,
    "users": 0.08,
}
WORDS = (
    "plan", "risk", "scope", "budget", "sponsor", "milestone", "charter", "stakeholder",
    "review", "deliverable", "the", "a", "of", "and", "to", "in", "for", "is", "on", "that",
    "with", "as", "project", "team", "phase", "status", "approval", "change", "request",
    "résumé", "naïve", "数据", "données", "überprüfung",
)  # fmt: skip
LONG_TEXT = ("content", "markdown", "summary", "description", "rationale", "comment", "response")
LISTS = ("tags", "keywords", "team", "stakeholders", "objectives", "deliverables", "activities",
         "practices", "pitfalls", "templates", "threats", "opportunities", "assumptions",
         "criteria", "ids", "errors", "warnings", "responsibilities")  # fmt: skip
NUMBERS = ("confidence", "score", "duration", "count")
BASE = datetime(2023, 6, 1, tzinfo=UTC)


class Generator:
    """Documents of every registry collection from one seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.human_ids: list[ObjectId] = []

    # --- leaves -------------------------------------------------------------------------------

    def words(self, n: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(n))

    def text(self, name: str) -> str:
        low = name.lower()
        if any(part in low for part in LONG_TEXT):
            # heavy tail: mostly a sentence or two, sometimes pages
            n = int(min(4000, self.rng.paretovariate(1.2) * 12))
            return self.words(n)
        return self.words(self.rng.randint(1, 6))

    def date(self) -> datetime:
        ms = self.rng.randrange(0, 2 * 365 * 86400 * 1000)
        return BASE + timedelta(milliseconds=ms)

    def any_value(self, name: str) -> Any:
        low = name.lower()
        if low.startswith(("is", "can", "email")) and not low.startswith("issue"):
            return self.rng.random() < 0.7
        if any(part in low for part in NUMBERS):
            return round(self.rng.random(), 3) if "confidence" in low else self.rng.randint(0, 500)
        if "version" in low:
            return self.rng.randint(1, 40)
        if any(low.endswith(part) for part in LISTS):
            return [self.text("label") for _ in range(self._length())]
        return self.text(name)

    def _length(self) -> int:
        """Array lengths: often none or a few, sometimes dozens."""
        r = self.rng.random()
        if r < 0.15:
            return 0
        if r < 0.8:
            return self.rng.randint(1, 5)
        return int(min(120, self.rng.paretovariate(1.0) * 6))

    # --- the shape walk -----------------------------------------------------------------------

    def value(self, name: str, node: Node | None, depth: int) -> Any:
        if node is None or node.kind == "any":
            return self.any_value(name)
        if node.kind == "date":
            return self.date()
        if node.kind == "objectId":
            return ObjectId()
        if node.kind == "array":
            return [self.value(name, node.items, depth + 1) for _ in range(self._length())]
        return self.obj(node, depth + 1, {})

    def obj(self, node: Node, depth: int, fixed: dict[str, Any]) -> dict[str, Any]:
        """A (sub-)document in schema order: every field present (75 %), absent or null."""
        out: dict[str, Any] = {}
        for name in node.order:
            if name in fixed:
                if fixed[name] is not _ABSENT:
                    out[name] = fixed[name]
                continue
            r = self.rng.random()
            if r < 0.15:
                continue  # absent
            out[name] = None if r < 0.25 else self.value(name, node.child(name), depth)
        return out

    # --- documents ----------------------------------------------------------------------------

    def columns_values(self, coll: Collection, i: int) -> dict[str, Any]:
        """The fields typed columns read, valid for their rules (keys unique by `i`)."""
        fixed: dict[str, Any] = {}
        for col in coll.columns:
            if col.source is None or col.source in fixed:
                continue
            fixed[col.source] = self.column_value(coll, col, i)
        return fixed

    def column_value(self, coll: Collection, col: Column, i: int) -> Any:
        r = self.rng.random()
        if col.source == "humanSopId":
            if not self.human_ids or r < 0.1:
                return _ABSENT
            return self.rng.choice(self.human_ids)
        if col.required and col.pattern is not None:  # PRO-001, SOP-001
            return f"{col.pattern[1:4]}-{i + 1:03d}"
        if col.required and col.vocabulary is None and col.bounds is None:
            if col.source == "email":
                return f"user{i}@example.org" if r < 0.8 else f"User.{i}@Example.ORG"
            return f"{coll.name[:4]}-{i:07d}-{self.rng.choice(string.ascii_lowercase)}"
        if r < 0.1 and not col.required:
            return _ABSENT
        if r < 0.15 and not col.required:
            return None
        if col.vocabulary is not None:
            return self.rng.choice(col.vocabulary)
        if col.bounds is not None:
            low, high = col.bounds
            if coll.name == "sop_version_history":
                return i + 1  # part of the natural key
            return self.rng.randint(low, min(high or low + 40, low + 40))
        if col.pg_type == "boolean":
            return self.rng.random() < 0.8
        if col.pg_type == "timestamptz":
            return self.date()
        if col.pg_type == "double precision":
            return round(self.rng.random(), 4)
        return self.text(col.source or col.name)

    def document(self, coll: Collection, i: int) -> dict[str, Any]:
        fixed = self.columns_values(coll, i)
        fixed["_id"] = ObjectId()
        for name in coll.mixed_fields:  # Mixed: text for some documents, an object for others
            if self.rng.random() < 0.5:
                fixed[name] = self.text("content")
        doc = self.obj(coll.shape, 0, fixed)
        r = self.rng.random()
        if r < 0.1 and len(doc) > 3:  # a field `$set` after creation: now the last one
            moved = self.rng.choice(list(doc)[1:])
            doc[moved] = doc.pop(moved)
        elif r < 0.15:  # a field the model never declared (an old version's leftover)
            doc["legacyNote"] = self.text("note")
        if coll.name == "human_sops":
            self.human_ids.append(doc["_id"])
        return doc


class _Absent:
    """A column field left out of the document (its rule's default applies)."""


_ABSENT: Any = _Absent()


def counts_for(scale: int) -> dict[str, int]:
    return {c.name: max(2, round(scale * SHARES[c.name])) for c in COLLECTIONS}


def generate(folder: Path, scale: int, seed: int = 7) -> dict[str, int]:
    """A mongodump folder (`folder/pmo_playbook/*.bson`) of about `scale` documents."""
    db = folder / "pmo_playbook"
    db.mkdir(parents=True, exist_ok=True)
    gen = Generator(seed)
    counts = counts_for(scale)
    for coll in COLLECTIONS:  # registry order: human SOPs before the agent SOPs pointing at them
        with (db / f"{coll.name}.bson").open("wb") as out:
            for i in range(counts[coll.name]):
                out.write(bson.encode(gen.document(coll, i)))
    return counts
