"""Gap reports (legacy `/api/user-feedback`, §2.10): file from the chat, triage, suggestions.

Fixed on purpose: reports are found by `feedbackId` or `_id` (D23); status and priority are
checked against the vocabularies (D20); a confidence of 0 stays 0 (D20); closing appends a note
instead of overwriting the admin's notes (D20); the improvement suggestion is composed once,
offline, stored, and regenerated only on request (D26); lists sort by priority rank (D22).
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import psycopg

from pmo_playbook.documents.chat import message_with_id
from pmo_playbook.documents.common import now_iso
from pmo_playbook.documents.feedback import (
    CLOSE_NOTE,
    DEFAULT_CONFIDENCE,
    FEEDBACK_PRIORITIES,
    FEEDBACK_STATUSES,
    GapReport,
)
from pmo_playbook.errors import BadRequest, InvalidInput, NotFound
from pmo_playbook.repositories.chat_histories import ChatHistoryRepository
from pmo_playbook.repositories.user_feedback import UserFeedbackRepository
from pmo_playbook.services.actor import Actor
from pmo_playbook.services.sessions import can_triage, require

CLOSED = "Feedback closed successfully"
UPDATED = "Feedback updated successfully"
THANK_YOU = "Thank you for your feedback. We will review this and improve our knowledge base."
NOT_FOUND = "Feedback not found"
REQUIRED = ("sessionId", "userQuestion", "aiResponse", "userComment", "sopId")
SECTION_LABELS = {
    "keyActivities": "Key Activities",
    "deliverables": "Deliverables",
    "rolesResponsibilities": "Roles & Responsibilities",
    "toolsTemplates": "Tools & Templates",
    "objectives": "Objectives",
    "bestPractices": "Best Practices",
    "commonPitfalls": "Common Pitfalls",
}
_WORD = re.compile(r"[a-z][a-z-]{3,}")
_QUOTE_CHARS = 300


def _new_feedback_id() -> str:
    """`feedback-<epoch ms>-<9 base36>` (the legacy default)."""
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    tail = "".join(secrets.choice(alphabet) for _ in range(9))
    return f"feedback-{int(time.time() * 1000)}-{tail}"


@dataclass(frozen=True)
class GapReportPage:
    """One page of the triage list and the counts of every report by status."""

    reports: list[GapReport]
    status_counts: dict[str, int]  # every status of the vocabulary, in its order
    total_reports: int  # all reports, whatever the filters
    total: int  # the reports matching the filters
    limit: int
    skip: int

    @property
    def has_more(self) -> bool:
        return self.skip + len(self.reports) < self.total


def _require_triage(actor: Actor) -> None:
    require(actor, can_triage(actor), "review gap reports")


def _check_vocabulary(field: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is None or value == "":
        return None
    if value not in allowed:
        raise InvalidInput(
            f"{field} must be one of {', '.join(allowed)}",
            details={"field": field, "allowed": list(allowed)},
        )
    return value


def _section_items(section: Any) -> list[str]:
    items: list[str] = []
    for item in section if isinstance(section, list) else []:
        if isinstance(item, str):
            items.append(item)
        elif isinstance(item, dict) and isinstance(item.get("role"), str):
            duties = item.get("responsibilities")
            joined = "; ".join(d for d in duties if isinstance(d, str)) if duties else ""
            items.append(f"{item['role']}: {joined}" if joined else item["role"])
    return items


def _best_section(sections: dict[str, Any], words: set[str]) -> tuple[str, list[str]] | None:
    """The SOP section sharing most words with the question and comment (Key Activities on
    ties), or None when the SOP has no sections."""
    best: tuple[int, str, list[str]] | None = None
    for key in SECTION_LABELS:
        items = _section_items(sections.get(key))
        if not items:
            continue
        score = len(words & set(_WORD.findall(" ".join(items).lower())))
        if best is None or score > best[0]:
            best = (score, key, items)
    return None if best is None else (best[1], best[2])


def _clause(text: str) -> str:
    """`text` without its closing punctuation, so a sentence built around it ends with exactly
    one full stop (a comment ending in "." gave "…response).." before)."""
    return text.strip().rstrip(".!?;: ").strip()


def compose_suggestion(report: dict[str, Any], agent_sop: dict[str, Any] | None) -> dict[str, str]:
    """A deterministic improvement suggestion `{content, rationale}` from the report and the
    agent SOP's sections (no LLM: same input, same text)."""
    question = str(report.get("userQuestion", ""))[:_QUOTE_CHARS]
    comment = _clause(str(report.get("userComment", ""))[:_QUOTE_CHARS])
    sop = f'"{report.get("sopTitle") or "the SOP"}" ({report.get("sopId")})'
    confidence = report.get("confidence")
    shown = f"{round(float(confidence) * 100)}%" if isinstance(confidence, int | float) else "?"
    sections = agent_sop.get("sections") if agent_sop else None
    words = set(_WORD.findall(f"{question} {comment}".lower()))
    chosen = _best_section(sections, words) if isinstance(sections, dict) else None
    if chosen is None:
        content = f'Add to {sop} an explicit answer to "{question}", covering: {comment}.'
        basis = f"No structured sections of {report.get('sopId')} were available to compare."
    else:
        label = SECTION_LABELS[chosen[0]]
        current = _clause("; ".join(chosen[1][:3]))
        content = (
            f'Extend the {label} section of {sop} so that it answers "{question}". '
            f"Address the reported gap: {comment}. Current items include: {current}."
        )
        basis = (
            f"The {label} section ({len(chosen[1])} items) is the closest match to the "
            "question, but none of its items answers it directly."
        )
    rationale = (
        f"A user found the answer (given with {shown} confidence) insufficient and "
        f"reported: {comment}. {basis}"
    )
    return {"content": content, "rationale": rationale}


def _string_fields(body: dict[str, Any]) -> None:
    for key in (*REQUIRED, "messageId", "sopTitle"):
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{key} must be a string", details={"field": key})


def file_gap_report(conn: psycopg.Connection[Any], actor: Actor, body: dict[str, Any]) -> GapReport:
    """File a report about the actor's own session (404 'Chat session not found' otherwise);
    the edges thank the reporter with `THANK_YOU`."""
    _string_fields(body)
    if any(not body.get(key) for key in REQUIRED):
        raise BadRequest("Missing required fields")
    confidence = body.get("confidence")
    if confidence is None:
        confidence = DEFAULT_CONFIDENCE  # only when absent: a real 0 stays 0 (D20)
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise InvalidInput("confidence must be a number", details={"field": "confidence"})
    if not 0 <= confidence <= 1:
        raise InvalidInput("confidence must be between 0 and 1", details={"field": "confidence"})
    session = ChatHistoryRepository(conn).get_owned(body["sessionId"], actor.owner_key)
    if session is None:
        raise NotFound("Chat session not found", details={"sessionId": body["sessionId"]})
    repo = UserFeedbackRepository(conn)
    agent_sop = repo.agent_sop(body["sopId"])
    message_id = body.get("messageId") or _answer_id(session.messages)
    stamp = now_iso()
    data: dict[str, Any] = {
        "feedbackId": _new_feedback_id(),
        "sessionId": body["sessionId"],
        "messageId": message_id,
        "userQuestion": body["userQuestion"],
        "aiResponse": body["aiResponse"],
        "userComment": body["userComment"],
        "sopId": body["sopId"],
        "sopTitle": body.get("sopTitle") or (agent_sop or {}).get("title") or "Unknown SOP",
        "sopSection": "",
        "confidence": confidence,
        "status": "pending",
        "priority": "medium",
        "createdAt": stamp,
        "updatedAt": stamp,
        "__v": 0,
    }
    data["aiSuggestion"] = compose_suggestion(data, agent_sop)
    return repo.create(data)


def _answer_id(messages: list[dict[str, Any]]) -> str:
    """The stable id of the latest answer (or latest message) of a session."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "assistant":
            return str(message_with_id(messages[index], index)["messageId"])
    last = len(messages) - 1
    return str(message_with_id(messages[last], last)["messageId"]) if messages else "msg-0"


def list_gap_reports(
    conn: psycopg.Connection[Any],
    actor: Actor,
    filters: dict[str, str | None],
    limit: int,
    skip: int,
) -> GapReportPage:
    """One page sorted by priority rank, newest first, with the global status counts."""
    _require_triage(actor)
    status = _check_vocabulary("status", filters.get("status"), FEEDBACK_STATUSES)
    priority = _check_vocabulary("priority", filters.get("priority"), FEEDBACK_PRIORITIES)
    repo = UserFeedbackRepository(conn)
    reports, total = repo.list(status, priority, filters.get("sopId") or None, limit, skip)
    counts = repo.status_counts()
    return GapReportPage(
        reports=reports,
        status_counts={s: counts.get(s, 0) for s in FEEDBACK_STATUSES},
        total_reports=sum(counts.values()),
        total=total,
        limit=limit,
        skip=skip,
    )


def _find(conn: psycopg.Connection[Any], key: str) -> GapReport:
    report = UserFeedbackRepository(conn).find(key)
    if report is None:
        raise NotFound(NOT_FOUND, details={"id": key})
    return report


def get_gap_report(conn: psycopg.Connection[Any], actor: Actor, key: str) -> GapReport:
    """One report; a report that never got a suggestion (migrated, or a failed legacy
    attempt stored as null) gets one composed and stored now, once (D26)."""
    _require_triage(actor)
    report = _find(conn, key)
    if not report.data.get("aiSuggestion"):
        report = _store_suggestion(conn, report)
    return report


def _store_suggestion(conn: psycopg.Connection[Any], report: GapReport) -> GapReport:
    repo = UserFeedbackRepository(conn)
    sop_id = report.data.get("sopId")
    agent_sop = repo.agent_sop(sop_id) if isinstance(sop_id, str) else None
    suggestion = compose_suggestion(report.data, agent_sop)
    return repo.update(report.pk, {"aiSuggestion": suggestion}, None, None)


def regenerate_suggestion(conn: psycopg.Connection[Any], actor: Actor, key: str) -> GapReport:
    """Compose the suggestion again on purpose (e.g. after the SOP changed)."""
    _require_triage(actor)
    return _store_suggestion(conn, _find(conn, key))


def update_gap_report(
    conn: psycopg.Connection[Any],
    actor: Actor,
    key: str,
    changes: dict[str, Any],
    regenerate: bool = False,
) -> GapReport:
    """Apply `status`/`priority` (validated, applied when non-empty) and `adminNotes` (when
    the key is present); optionally regenerate the suggestion."""
    _require_triage(actor)
    report = _find(conn, key)
    status = _check_vocabulary("status", changes.get("status"), FEEDBACK_STATUSES)
    priority = _check_vocabulary("priority", changes.get("priority"), FEEDBACK_PRIORITIES)
    patch: dict[str, Any] = {"updatedAt": now_iso()}
    if status:
        patch["status"] = status
    if priority:
        patch["priority"] = priority
    if "adminNotes" in changes:
        patch["adminNotes"] = changes["adminNotes"]
    report = UserFeedbackRepository(conn).update(report.pk, patch, status, priority)
    if regenerate:
        report = _store_suggestion(conn, report)
    return report


def close_gap_report(conn: psycopg.Connection[Any], actor: Actor, key: str) -> None:
    """Soft close: status closed, a note appended to the admin notes (never overwritten)."""
    _require_triage(actor)
    report = _find(conn, key)
    UserFeedbackRepository(conn).close(report.pk, CLOSE_NOTE, now_iso())
