"""Pure rules of change proposals: priority (D14), tags, the state machine (D15), and applying
a proposed change to a SOP section."""

from __future__ import annotations

import json
from typing import Any

from pmo_playbook.documents.sop_markdown import find_section
from pmo_playbook.errors import Conflict

# action -> (statuses it may start from, status it leads to; None = unchanged)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "approve": (frozenset({"pending_review"}), "approved"),
    "reject": (frozenset({"pending_review"}), "rejected"),
    "review": (frozenset({"pending_review", "approved"}), None),
    "implement": (frozenset({"approved"}), "implemented"),
    "archive": (frozenset({"pending_review", "approved", "rejected"}), "archived"),
}
HISTORY_ACTION = {
    "approve": "approved",
    "reject": "rejected",
    "review": "reviewed",
    "implement": "implemented",
    "archive": "archived",
}
PAST_TENSE = HISTORY_ACTION
_TAG_WORDS = ("template", "checklist", "process", "role", "deliverable", "tool")


def computed_priority(affected_users: float, confidence: float) -> str:
    """The legacy pre-save rule (§1.4), used only when no priority was chosen (D14)."""
    priority = "low"
    if affected_users > 10 or confidence > 0.9:
        priority = "high"
    elif affected_users > 5 or confidence > 0.7:
        priority = "medium"
    if affected_users > 20 and confidence > 0.85:
        priority = "critical"
    return priority


def extract_tags(proposed_change: dict[str, Any]) -> list[str]:
    """Legacy `extractTags`: section slug, changeType, and known words found in the change."""
    tags = ["-".join(str(proposed_change.get("section") or "").lower().split())]
    tags.append(str(proposed_change.get("changeType") or "clarification"))
    text = json.dumps(proposed_change).lower()
    tags.extend(word for word in _TAG_WORDS if word in text)
    return list(dict.fromkeys(t for t in tags if t))


def check_transition(action: str, status: str, proposal_id: str) -> str | None:
    """The status after `action`, or Conflict (409) for an illegal transition."""
    allowed, target = TRANSITIONS[action]
    if status not in allowed:
        raise Conflict(
            f"Cannot {action} proposal {proposal_id}: it is {status}",
            details={"status": status, "action": action, "allowedFrom": sorted(allowed)},
        )
    return target


def apply_section_change(
    markdown: str, section: str, original: str, suggested: str, proposal_id: str
) -> str:
    """Replace `original` with `suggested` inside the named section, or append `suggested` to
    the section when `original` is empty (a new `## section` at the end when it is missing)."""
    span = find_section(markdown, section)
    if span is None:
        if original.strip():
            raise Conflict(f"Proposal {proposal_id}: section '{section}' not found in the SOP")
        return markdown.rstrip("\n") + f"\n\n## {section.strip()}\n{suggested.strip()}\n"
    lines = markdown.split("\n")
    start, end = span
    body = "\n".join(lines[start:end])
    if original.strip():
        if original not in body:
            raise Conflict(
                f"Proposal {proposal_id}: the original content no longer appears in '{section}'"
            )
        # Keep the original's line ending: a textarea's trailing newline must not turn into
        # a blank line added to the SOP (the diff would show a change nobody meant).
        ending = original[len(original.rstrip("\n")) :]
        body = body.replace(original, suggested.rstrip("\n") + ending, 1)
    else:
        kept = body.rstrip("\n")
        trailing = body[len(kept) :]
        body = (kept + "\n" if kept else "") + suggested.strip() + (trailing or "")
    return "\n".join([*lines[:start], *body.split("\n"), *lines[end:]])
