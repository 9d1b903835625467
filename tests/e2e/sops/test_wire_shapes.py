"""The exact JSON of the legacy API responses built from typed service results at the edge.

The other API tests check fields; these pin every byte of each response (key order, spacing,
escapes), so moving the legacy shapes out of the services cannot change what clients read.
Values that differ per run (timestamps, ObjectIds, generated feedback/proposal/session ids) are replaced
by placeholders; strings longer than `_LONG` chars by their length and digest, which keeps the
pinned file readable while still pinning their bytes. `wire_shapes.json` holds the expected
text; `PMO_REPIN=1` rewrites it (review the diff: a change there is a change of the contract).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.sops.conftest import USER, ActingClient

PINS = Path(__file__).with_name("wire_shapes.json")
_LONG = 120
_VOLATILE = (
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?"), "<ts>"),
    (re.compile(r"\b[0-9a-f]{24}\b"), "<oid>"),
    (re.compile(r"\bfeedback-\d{13}-[0-9a-z]{9}\b"), "<feedback-id>"),
    (re.compile(r"\bPROP-\d{13}-[0-9a-z]{9}\b"), "<proposal-id>"),
    (re.compile(r"\bsession-\d{13}\b"), "<session-id>"),
)
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _long_string(match: re.Match[str]) -> str:
    body = match.group(1)
    if len(body) <= _LONG:
        return match.group(0)
    digest = hashlib.sha256(body.encode()).hexdigest()[:12]
    return f'"<{len(body)} chars {digest}>"'


def normalise(raw: bytes) -> str:
    """The response bytes with per-run values replaced and long strings digested."""
    text = raw.decode("utf-8")
    for pattern, placeholder in _VOLATILE:
        text = pattern.sub(placeholder, text)
    return _STRING.sub(_long_string, text)


class Recorder:
    """Collects `name → status + normalised body` of each call, in call order."""

    def __init__(self, api: ActingClient) -> None:
        self.api = api
        self.seen: dict[str, str] = {}

    def call(self, name: str, method: str, url: str, **kwargs: Any) -> Any:
        response = self.api.request(method, url, **kwargs)
        assert name not in self.seen
        self.seen[name] = f"{response.status_code} {normalise(response.content)}"
        return response.json()


def _chat_and_report(rec: Recorder) -> str:
    rec.call(
        "chat-history POST question",
        "POST",
        "/api/chat-history",
        json={"sessionId": "s-wire", "message": "Who signs the charter?", "type": "user"},
    )
    rec.call(
        "chat-history POST answer",
        "POST",
        "/api/chat-history",
        json={
            "sessionId": "s-wire",
            "message": "The sponsor signs the charter.",
            "type": "assistant",
            "attribution": {"selectedSOP": {"sopId": "SOP-002"}, "confidence": 0.8},
        },
    )
    rec.call("chat-history GET", "GET", "/api/chat-history", params={"sessionId": "s-wire"})
    rec.call("chat-history GET missing", "GET", "/api/chat-history", params={"sessionId": "nope"})
    rec.call("chat-history PATCH", "PATCH", "/api/chat-history", json={})
    rec.call("sessions GET", "GET", "/api/sessions")
    rec.call(
        "sessions PATCH",
        "PATCH",
        "/api/sessions",
        json={"sessionId": "s-wire", "sessionName": "Charter"},
    )
    rec.call("sessions GET renamed", "GET", "/api/sessions")
    rec.call(
        "sessions thread",
        "GET",
        "/api/sessions/s-wire/thread",
        params={"highlightMessageId": "msg-1"},
    )
    report = {
        "sessionId": "s-wire",
        "userQuestion": "Who signs the charter?",
        "aiResponse": "The sponsor signs the charter.",
        "userComment": "It does not say who approves the budget.",
        "sopId": "SOP-002",
        "confidence": 0.25,
    }
    filed = rec.call("user-feedback POST", "POST", "/api/user-feedback", json=report)
    return str(filed["feedback"]["feedbackId"])


def _triage(rec: Recorder, feedback_id: str) -> None:
    rec.call("user-feedback GET list", "GET", "/api/user-feedback")
    rec.call("user-feedback GET one", "GET", f"/api/user-feedback/{feedback_id}")
    rec.call(
        "user-feedback PATCH",
        "PATCH",
        f"/api/user-feedback/{feedback_id}",
        json={"status": "ongoing", "priority": "high", "adminNotes": "Looking"},
    )
    rec.call("user-feedback suggestion", "POST", f"/api/user-feedback/{feedback_id}/suggestion")
    rec.call("user-feedback DELETE", "DELETE", f"/api/user-feedback/{feedback_id}")


def _ratings(rec: Recorder) -> None:
    rating = {
        "messageId": "msg-1",
        "sessionId": "s-wire",
        "rating": "helpful",
        "sopUsed": "SOP-002",
        "confidence": 0.8,
    }
    rec.call("message-feedback POST", "POST", "/api/message-feedback", json=rating)
    rec.call(
        "message-feedback POST again",
        "POST",
        "/api/message-feedback",
        json={**rating, "rating": "not_helpful", "feedbackReason": "Too short"},
    )
    rec.call(
        "message-feedback GET session",
        "GET",
        "/api/message-feedback",
        params={"sessionId": "s-wire"},
    )
    rec.call("message-feedback GET recent", "GET", "/api/message-feedback")


def _versions(rec: Recorder) -> None:
    current = rec.api.get("/api/content-db", params={"sopId": "SOP-001"}).json()
    edited = rec.api.put(
        "/api/content-db",
        json={
            "sopId": "SOP-001",
            "markdownContent": current["content"] + "\n- Value Canvas",
            "type": "human",
        },
    )
    assert edited.status_code == 200, edited.text
    rec.call("sops versions", "GET", "/api/sops/SOP-001/versions")
    rec.call("sops versions agent", "GET", "/api/sops/SOP-001/versions", params={"type": "agent"})
    rec.call("sops version 1", "GET", "/api/sops/SOP-001/versions/1")
    rec.call("sops version current", "GET", "/api/sops/SOP-001/versions/2")
    rec.call("sops diff", "GET", "/api/sops/SOP-001/diff", params={"from": 1, "to": 2})


def _proposals(rec: Recorder) -> None:
    change = {
        "section": "Deliverables",
        "originalContent": "",
        "suggestedContent": "- Stakeholder Map",
        "rationale": "Users keep asking for it",
        "changeType": "addition",
    }
    body = {"sopId": "SOP-002", "triggerQuery": "Where is the map?", "proposedChange": change}
    created = rec.call("proposals POST", "POST", "/api/proposals", json=body)
    proposal_id = created["proposal"]["proposalId"]
    rec.call("proposals POST similar", "POST", "/api/proposals", json=body)
    rec.call("proposals GET list", "GET", "/api/proposals")
    rec.call("proposals GET one", "GET", f"/api/proposals/{proposal_id}")
    rec.call(
        "proposals PATCH approve",
        "PATCH",
        f"/api/proposals/{proposal_id}",
        json={"action": "approve", "comments": "Fine"},
    )
    rec.call(
        "proposals PATCH implement",
        "PATCH",
        f"/api/proposals/{proposal_id}",
        json={"action": "implement"},
    )
    other = {**body, "triggerQuery": "Who owns the budget?", "sopId": "SOP-003"}
    second = rec.call("proposals POST other", "POST", "/api/proposals", json=other)
    rec.call("proposals DELETE", "DELETE", f"/api/proposals/{second['proposal']['proposalId']}")


def test_legacy_wire_shapes_are_byte_for_byte_pinned(sops_api: ActingClient) -> None:
    rec = Recorder(sops_api)
    _triage(rec, _chat_and_report(rec))
    _ratings(rec)
    _versions(rec)
    _proposals(rec)
    rec.api.as_(USER)
    rec.call("user-feedback GET list as user", "GET", "/api/user-feedback")
    if os.environ.get("PMO_REPIN") == "1":
        PINS.write_text(json.dumps(rec.seen, indent=1, ensure_ascii=False) + "\n")
        pytest.skip("pins rewritten")
    expected = json.loads(PINS.read_text())
    assert list(rec.seen) == list(expected)
    for name, text in expected.items():
        assert rec.seen[name] == text, name
