"""Actors and helpers for the sessions/feedback API tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from pmo_playbook.services.actor import ROLE_PERMISSIONS, Actor, Role
from pmo_playbook.web.deps import get_actor

ALICE = Actor(
    user_id="user-alice",
    display="alice@example.com",
    role=Role.USER,
    permissions=ROLE_PERMISSIONS[Role.USER],
)
BOB = Actor(
    user_id="user-bob",
    display="bob@example.com",
    role=Role.USER,
    permissions=ROLE_PERMISSIONS[Role.USER],
)
ADMIN = Actor(
    user_id="user-admin",
    display="admin@example.com",
    role=Role.ADMIN,
    permissions=ROLE_PERMISSIONS[Role.ADMIN],
)
VIEWER = Actor(
    user_id="user-viewer",
    display="viewer@example.com",
    role=Role.VIEWER,
    permissions=ROLE_PERMISSIONS[Role.VIEWER],
)
VISITOR = Actor(user_id=None, display="anonymous", visitor_id="v123")
ANONYMOUS = Actor(user_id=None, display="anonymous")


def act_as(client: TestClient, actor: Actor) -> TestClient:
    """Make every following request of `client` act as `actor`."""
    client.app.dependency_overrides[get_actor] = lambda: actor  # type: ignore[attr-defined]
    return client


def assert_envelope(body: dict[str, Any], code: str, error: str | None = None) -> None:
    assert set(body) == {"error", "code", "details"}
    assert body["code"] == code
    assert isinstance(body["error"], str) and body["error"]
    if error is not None:
        assert body["error"] == error


def chat(
    client: TestClient,
    session_id: str,
    question: str,
    answer: str,
    sop: str = "SOP-002",
    confidence: float = 0.8,
) -> None:
    """Store one question and one attributed answer through POST /api/chat-history."""
    r1 = client.post(
        "/api/chat-history", json={"sessionId": session_id, "message": question, "type": "user"}
    )
    assert r1.status_code == 200, r1.text
    r2 = client.post(
        "/api/chat-history",
        json={
            "sessionId": session_id,
            "message": answer,
            "type": "assistant",
            "attribution": {"selectedSOP": {"sopId": sop}, "confidence": confidence},
        },
    )
    assert r2.status_code == 200, r2.text
