"""/api/user-feedback (gap reports) over the real database."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from pmo_playbook.db.url import DatabaseUrl
from tests.e2e.sessions.support import (
    ADMIN,
    ALICE,
    ANONYMOUS,
    BOB,
    VIEWER,
    act_as,
    assert_envelope,
    chat,
)
from tests.support.app import app_client

AGENT_SOP = (
    '{"title": "PMO SOP – Initiation Phase", "sections": {'
    '"keyActivities": ["Draft the project charter", "Hold the kickoff meeting"],'
    '"deliverables": ["Signed charter"],'
    '"rolesResponsibilities": [{"role": "Sponsor", "responsibilities": ["Approve the budget"]}]}}'
)


def _seed_agent_sop(db_url: DatabaseUrl) -> None:
    with psycopg.connect(db_url.raw) as conn:
        conn.execute(
            "INSERT INTO agent_sops (sop_id, phase, data) VALUES ('SOP-002', 2, %s::jsonb)",
            (AGENT_SOP,),
        )
        conn.commit()


def _report(client: TestClient, **overrides: Any) -> Any:
    body = {
        "sessionId": "s-1",
        "userQuestion": "Who approves the budget?",
        "aiResponse": "The sponsor.",
        "userComment": "It does not say who approves the budget.",
        "sopId": "SOP-002",
    }
    body.update(overrides)
    return client.post("/api/user-feedback", json=body)


def test_user_feedback_post_creates_report_with_suggestion(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    _seed_agent_sop(db_url)
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        chat(client, "s-1", "Who approves the budget?", "The sponsor.")
        r = _report(client)
        unknown = _report(client, sopId="SOP-009")
    assert r.status_code == 201
    body = r.json()
    assert (
        body["message"]
        == "Thank you for your feedback. We will review this and improve our knowledge base."
    )
    fb = body["feedback"]
    assert re.fullmatch(r"[0-9a-f]{24}", fb["_id"])
    assert re.fullmatch(r"feedback-\d{13}-[0-9a-z]{9}", fb["feedbackId"])
    assert fb["messageId"] == "msg-1"  # the latest stored answer, a stable id (D28)
    assert fb["sopTitle"] == "PMO SOP – Initiation Phase"  # from the agent SOP
    assert fb["status"] == "pending" and fb["priority"] == "medium" and fb["confidence"] == 0.5
    assert fb["sopSection"] == ""
    assert set(fb["aiSuggestion"]) == {"content", "rationale"}
    assert (
        "Roles & Responsibilities" in fb["aiSuggestion"]["content"]
    )  # "approves the budget" matches
    assert fb["createdAt"].endswith("Z") and fb["updatedAt"].endswith("Z")
    assert unknown.json()["feedback"]["sopTitle"] == "Unknown SOP"


def test_user_feedback_post_errors(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        chat(client, "s-1", "q", "a")
        r = _report(client, userComment="")
        assert r.status_code == 400
        assert_envelope(r.json(), "BAD_REQUEST", "Missing required fields")
        r = _report(client, sessionId="nope")
        assert r.status_code == 404
        assert_envelope(r.json(), "NOT_FOUND", "Chat session not found")
        act_as(client, BOB)
        r = _report(client)  # Alice's session
        assert r.status_code == 404
        act_as(client, ALICE)
        for bad in (
            {"confidence": 1.5},
            {"confidence": "high"},
            {"confidence": True},
            {"sopId": {"$ne": 1}},
        ):
            r = _report(client, **bad)
            assert r.status_code == 422, bad
            assert_envelope(r.json(), "INVALID_INPUT")


def test_d20_confidence_zero_stays_zero(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        chat(client, "s-1", "q", "a")
        fb = _report(client, confidence=0).json()["feedback"]
    assert fb["confidence"] == 0


def test_d23_report_found_by_feedback_id_and_object_id(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        chat(client, "s-1", "q", "a")
        fb = _report(client).json()["feedback"]
        act_as(client, ADMIN)
        by_feedback_id = client.get(f"/api/user-feedback/{fb['feedbackId']}")
        by_object_id = client.get(f"/api/user-feedback/{fb['_id']}")
        patched = client.patch(f"/api/user-feedback/{fb['feedbackId']}", json={"status": "ongoing"})
        missing = client.get("/api/user-feedback/feedback-1-unknown")
        closed = client.delete(f"/api/user-feedback/{fb['feedbackId']}")
    assert (
        by_feedback_id.status_code == 200
        and by_feedback_id.json()["feedback"]["feedbackId"] == fb["feedbackId"]
    )
    assert by_object_id.status_code == 200 and by_object_id.json()["feedback"]["_id"] == fb["_id"]
    assert patched.status_code == 200
    assert patched.json()["message"] == "Feedback updated successfully"
    assert patched.json()["feedback"]["status"] == "ongoing"
    assert missing.status_code == 404
    assert_envelope(missing.json(), "NOT_FOUND", "Feedback not found")
    assert closed.json() == {"message": "Feedback closed successfully"}


def test_d20_patch_validates_vocabularies_and_delete_keeps_notes(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        chat(client, "s-1", "q", "a")
        fid = _report(client).json()["feedback"]["feedbackId"]
        act_as(client, ADMIN)
        url = f"/api/user-feedback/{fid}"
        for bad in (
            {"status": "done"},
            {"priority": "critical"},
            {"status": ["pending"]},
            {"adminNotes": 3},
        ):
            r = client.patch(url, json=bad)
            assert r.status_code == 422, bad
            assert_envelope(r.json(), "INVALID_INPUT")
        ok = client.patch(
            url, json={"status": "", "priority": "high", "adminNotes": "Looks valid"}
        ).json()
        client.delete(url)
        stored = client.get(url).json()["feedback"]
    assert ok["feedback"]["status"] == "pending" and ok["feedback"]["priority"] == "high"
    assert stored["status"] == "closed"
    assert stored["adminNotes"] == "Looks valid\nFeedback deleted by admin"
    with psycopg.connect(db_url.raw) as conn:
        row = conn.execute("SELECT status, priority, data->>'status' FROM user_feedback").fetchone()
    assert row == ("closed", "high", "closed")


def test_d26_suggestion_stored_once_and_regenerated_on_purpose(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    with psycopg.connect(
        db_url.raw
    ) as conn:  # a migrated report whose legacy suggestion failed (null)
        conn.execute(
            "INSERT INTO user_feedback (feedback_id, legacy_id, session_id, sop_id, data) VALUES "
            "('feedback-1752463136000-44eb3a38f', '6874772066ede9a3360875cc', 's', 'SOP-002', %s::jsonb)",
            (
                '{"feedbackId": "feedback-1752463136000-44eb3a38f", "sessionId": "s", "sopId": "SOP-002",'
                ' "userQuestion": "When is the kickoff meeting held?", "userComment": "No date given",'
                ' "sopTitle": "Initiation", "confidence": 0.61, "status": "pending", "priority": "medium",'
                ' "aiSuggestion": null}',
            ),
        )
        conn.commit()
    url = "/api/user-feedback/feedback-1752463136000-44eb3a38f"
    with app_client(db_url, tmp_path) as client:
        act_as(client, ADMIN)
        first = client.get(url).json()["feedback"]["aiSuggestion"]
        with psycopg.connect(db_url.raw) as conn:
            stored = conn.execute("SELECT data->'aiSuggestion' FROM user_feedback").fetchone()
        _seed_agent_sop(db_url)  # the SOP changes: viewing must NOT recompose
        second = client.get(url).json()["feedback"]["aiSuggestion"]
        regenerated = client.post(url + "/suggestion")
        via_patch = client.patch(url, json={"regenerateSuggestion": True}).json()["feedback"][
            "aiSuggestion"
        ]
    assert first and stored == (first,)
    assert "No structured sections" in first["rationale"]
    assert second == first
    assert regenerated.status_code == 200
    assert regenerated.json()["feedback"]["aiSuggestion"] != first
    assert "Key Activities" in regenerated.json()["feedback"]["aiSuggestion"]["content"]
    assert via_patch == regenerated.json()["feedback"]["aiSuggestion"]


def _insert_report(
    conn: psycopg.Connection[Any], n: int, priority: str, status: str, sop: str, created: str
) -> None:
    conn.execute(
        "INSERT INTO user_feedback (feedback_id, session_id, sop_id, status, priority, data, created_at) "
        "VALUES (%s, 's', %s, %s, %s, jsonb_build_object('feedbackId', %s::text, 'sopId', %s::text, "
        "'status', %s::text, 'priority', %s::text, 'userComment', 'c' || %s::text), %s)",
        (f"f-{n}", sop, status, priority, f"f-{n}", sop, status, priority, str(n), created),
    )


def test_d22_list_sorted_by_priority_rank_with_counts_and_pagination(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    with psycopg.connect(db_url.raw) as conn:
        _insert_report(conn, 1, "medium", "pending", "SOP-001", "2025-01-03Z")
        _insert_report(conn, 2, "low", "pending", "SOP-002", "2025-01-04Z")
        _insert_report(conn, 3, "high", "ongoing", "SOP-002", "2025-01-01Z")
        _insert_report(conn, 4, "high", "closed", "SOP-002", "2025-01-02Z")
        conn.commit()
    with app_client(db_url, tmp_path) as client:
        act_as(client, ADMIN)
        body = client.get("/api/user-feedback").json()
        page = client.get("/api/user-feedback", params={"limit": 2, "skip": 1}).json()
        filtered = client.get(
            "/api/user-feedback", params={"sopId": "SOP-002", "priority": "high"}
        ).json()
        bad = client.get("/api/user-feedback", params={"status": "nonsense"})
        analytics = (
            act_as(client, VIEWER).get("/api/user-feedback", params={"analytics": "true"}).json()
        )
    assert [f["feedbackId"] for f in body["feedback"]] == ["f-4", "f-3", "f-1", "f-2"]
    assert body["statusCounts"] == {
        "pending": 2,
        "ongoing": 1,
        "completed": 0,
        "closed": 1,
        "total": 4,
    }
    assert body["pagination"] == {"total": 4, "limit": 50, "skip": 0, "hasMore": False}
    assert [f["feedbackId"] for f in page["feedback"]] == ["f-3", "f-1"]
    assert page["pagination"] == {"total": 4, "limit": 2, "skip": 1, "hasMore": True}
    assert [f["feedbackId"] for f in filtered["feedback"]] == ["f-4", "f-3"]
    assert filtered["statusCounts"]["total"] == 4  # global, as legacy
    assert bad.status_code == 422
    assert analytics["totalReports"] == 4
    assert analytics["byStatus"] == {"pending": 2, "closed": 1, "ongoing": 1}
    assert list(analytics["bySOP"].items()) == [("SOP-002", 3), ("SOP-001", 1)]
    assert [g["feedbackId"] for g in analytics["recentGaps"]] == ["f-2", "f-1", "f-4", "f-3"]
    assert set(analytics["recentGaps"][0]) >= {"_id", "id", "sopId", "userComment", "createdAt"}


def test_gap_report_triage_needs_permission(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        chat(client, "s-1", "q", "a")
        fid = _report(client).json()["feedback"]["feedbackId"]
        for actor, status in ((ALICE, 403), (VIEWER, 403), (ANONYMOUS, 401)):
            act_as(client, actor)
            for method, url in (
                ("GET", "/api/user-feedback"),
                ("GET", f"/api/user-feedback/{fid}"),
                ("PATCH", f"/api/user-feedback/{fid}"),
                ("DELETE", f"/api/user-feedback/{fid}"),
                ("POST", f"/api/user-feedback/{fid}/suggestion"),
            ):
                r = client.request(method, url, json={} if method == "PATCH" else None)
                assert r.status_code == status, (actor.display, method, url)
                assert_envelope(r.json(), "FORBIDDEN" if status == 403 else "UNAUTHORIZED")
        r = act_as(client, ALICE).get("/api/user-feedback", params={"analytics": "true"})
        assert r.status_code == 403
