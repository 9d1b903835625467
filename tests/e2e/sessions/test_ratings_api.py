"""/api/message-feedback, the analytics endpoints and concurrency over the real database."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.services.message_ratings import rate_message
from pmo_playbook.services.sessions import record_turn
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


def _rate(client: TestClient, **overrides: Any) -> Any:
    body = {
        "messageId": "msg-1",
        "sessionId": "s-1",
        "rating": "helpful",
        "sopUsed": "SOP-002",
        "confidence": 0.8,
    }
    body.update(overrides)
    return client.post("/api/message-feedback", json=body)


def test_message_feedback_post_records_then_updates(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        chat(client, "s-1", "q", "a")
        first = _rate(client, confidence=0)
        second = _rate(client, rating="not_helpful", feedbackReason="Wrong SOP")
        listed = client.get("/api/message-feedback", params={"sessionId": "s-1"}).json()
        other = act_as(client, BOB).get("/api/message-feedback", params={"sessionId": "s-1"}).json()
    assert first.status_code == 200
    assert first.json()["success"] is True and first.json()["message"] == "Feedback recorded"
    fb = first.json()["feedback"]
    assert fb["messageId"] == "msg-1" and fb["confidence"] == 0 and fb["rating"] == "helpful"
    assert len(fb["_id"]) == 24
    assert second.json()["message"] == "Feedback updated"
    assert second.json()["feedback"]["rating"] == "not_helpful"
    assert second.json()["feedback"]["feedbackReason"] == "Wrong SOP"
    assert second.json()["feedback"]["_id"] == fb["_id"]
    assert [f["rating"] for f in listed["feedback"]] == ["not_helpful"]
    assert other == {"feedback": []}
    with psycopg.connect(db_url.raw) as conn:
        assert conn.execute("SELECT count(*), min(rating) FROM message_feedback").fetchone() == (
            1,
            "not_helpful",
        )


def test_message_feedback_post_errors(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        chat(client, "s-1", "q", "a")
        r = _rate(client, confidence=None)
        assert r.status_code == 400
        assert_envelope(r.json(), "BAD_REQUEST", "Missing required fields")
        r = _rate(client, rating="")
        assert r.status_code == 400
        for bad in (
            {"rating": "great"},
            {"sopUsed": "SOP-1"},
            {"confidence": 1.2},
            {"confidence": "0.5"},
            {"messageId": {"$gt": ""}},
            {"feedbackReason": "x" * 2000},
        ):
            r = _rate(client, **bad)
            assert r.status_code == 422, bad
            assert_envelope(r.json(), "INVALID_INPUT")
        r = _rate(client, sessionId="nope")
        assert r.status_code == 404
        assert_envelope(r.json(), "NOT_FOUND", "Chat session not found")
        act_as(client, BOB)
        assert (
            _rate(client).status_code == 404
        )  # D3: cannot rate (or overwrite) in another's session


def test_d21_d28_ratings_reference_stored_message_ids(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        chat(client, "s-1", "q", "a")
        client_side_id = _rate(client, messageId="1752463136000")
        out_of_range = _rate(client, messageId="msg-7")
        stored = _rate(client, messageId="msg-1")
        thread = client.get(
            "/api/sessions/s-1/thread", params={"highlightMessageId": "msg-1"}
        ).json()
    assert client_side_id.status_code == 404
    assert_envelope(client_side_id.json(), "NOT_FOUND", "Message not found")
    assert out_of_range.status_code == 404
    assert stored.status_code == 200
    rated = stored.json()["feedback"]["messageId"]
    assert [m["isHighlighted"] for m in thread["messages"] if m["id"] == rated] == [True]


def test_message_feedback_delete(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        chat(client, "s-1", "q", "a")
        _rate(client)
        r = client.delete("/api/message-feedback", params={"messageId": "msg-1"})
        assert r.status_code == 400
        assert_envelope(r.json(), "BAD_REQUEST", "Missing messageId or sessionId")
        r = act_as(client, BOB).delete(
            "/api/message-feedback", params={"messageId": "msg-1", "sessionId": "s-1"}
        )
        assert r.status_code == 404
        act_as(client, ALICE)
        r = client.delete(
            "/api/message-feedback", params={"messageId": "msg-1", "sessionId": "s-1"}
        )
        assert r.json() == {"success": True, "message": "Feedback removed"}
        r = client.delete(
            "/api/message-feedback", params={"messageId": "msg-1", "sessionId": "s-1"}
        )
        assert r.status_code == 404
        assert_envelope(r.json(), "NOT_FOUND", "Feedback not found")


def _insert_rating(
    conn: psycopg.Connection[Any], n: int, rating: str, sop: str, confidence: float | None
) -> None:
    conn.execute(
        "INSERT INTO message_feedback (message_id, session_id, rating, sop_used, confidence, data) "
        "VALUES (%s, 's', %s, %s, %s, jsonb_build_object('rating', %s::text))",
        (f"m{n}", rating, sop, confidence, rating),
    )


def _seed_ratings(db_url: DatabaseUrl) -> None:
    rows = [
        ("helpful", "SOP-001", 0.0),
        ("not_helpful", "SOP-001", 0.3),
        ("helpful", "SOP-001", 0.5),
        ("helpful", "SOP-002", 0.6),
        ("helpful", "SOP-002", 0.95),
        ("not_helpful", "SOP-002", 1.0),
        ("helpful", "SOP-002", 1.0),
        ("helpful", "SOP-003", None),
    ]
    with psycopg.connect(db_url.raw) as conn:
        for n, (rating, sop, conf) in enumerate(rows):
            _insert_rating(conn, n, rating, sop, conf)
        conn.commit()


def test_d32_confidence_buckets_keep_one_in_top_bucket_with_right_labels(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    _seed_ratings(db_url)
    with app_client(db_url, tmp_path) as client:
        act_as(client, VIEWER)
        buckets = client.get("/api/message-feedback", params={"stats": "confidence"}).json()
    assert [b["_id"] for b in buckets] == [0.0, 0.5, 0.6, 0.7, 0.8, 0.9, "other"]
    assert [b["label"] for b in buckets] == [
        "0–50%",
        "50–60%",
        "60–70%",
        "70–80%",
        "80–90%",
        "90–100%",
        "other",
    ]
    assert [b["total"] for b in buckets] == [2, 1, 1, 0, 0, 3, 1]
    top = buckets[5]
    assert top["confidenceRange"] == 0.9 and top["upperBound"] == 1.0
    assert top["helpful"] == 2 and top["helpfulnessRate"] == 66.7
    assert buckets[3]["helpfulnessRate"] == 0


def test_message_feedback_stats_modes(db_url: DatabaseUrl, tmp_path: Path) -> None:
    _seed_ratings(db_url)
    with app_client(db_url, tmp_path) as client:
        act_as(client, VIEWER)
        overview = client.get("/api/message-feedback", params={"stats": "all"}).json()
        sop1 = client.get(
            "/api/message-feedback", params={"stats": "true", "sopId": "SOP-001"}
        ).json()
        none = client.get(
            "/api/message-feedback", params={"stats": "true", "sopId": "SOP-009"}
        ).json()
        recent = client.get("/api/message-feedback", params={"limit": 3}).json()
        bogus = client.get("/api/message-feedback", params={"stats": "bogus"})
        no_sop = client.get("/api/message-feedback", params={"stats": "true"})
        act_as(client, ALICE)
        forbidden = [
            client.get("/api/message-feedback", params=p).status_code
            for p in (
                {"stats": "all"},
                {"stats": "confidence"},
                {"stats": "true", "sopId": "SOP-001"},
                {},
            )
        ]
        unauth = act_as(client, ANONYMOUS).get("/api/message-feedback", params={"stats": "all"})
    assert overview["totalRatings"] == 8
    assert overview["byRating"] == {"helpful": 6, "not_helpful": 2}
    assert list(overview["bySOP"]) == ["SOP-002", "SOP-001", "SOP-003"]
    assert overview["bySOP"]["SOP-002"] == {
        "_id": "SOP-002",
        "helpful": 3,
        "not_helpful": 1,
        "total": 4,
        "rate": 75.0,
    }
    assert len(overview["confidenceAccuracy"]) == 7
    assert sop1 == {
        "sopId": "SOP-001",
        "helpful": 2,
        "notHelpful": 1,
        "total": 3,
        "totalRatings": 3,
        "helpfulnessRate": "66.7",
    }
    assert none["helpfulnessRate"] == 0 and none["total"] == 0
    assert len(recent["feedback"]) == 3
    assert bogus.status_code == 422 and no_sop.status_code == 422
    assert forbidden == [403, 403, 403, 403]
    assert unauth.status_code == 401


def test_analytics_dashboard_endpoint(db_url: DatabaseUrl, tmp_path: Path) -> None:
    _seed_ratings(db_url)
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        chat(client, "s-1", "q", "a")
        denied = client.get("/api/analytics")
        body = act_as(client, ADMIN).get("/api/analytics").json()
    assert denied.status_code == 403
    assert set(body) == {"sessions", "feedback", "ratings"}
    assert body["sessions"]["totalSessions"] == 1 and body["sessions"]["totalMessages"] == 2
    assert body["ratings"]["totalRatings"] == 8
    assert body["feedback"]["totalReports"] == 0


def _parallel(count: int, work: Any) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def runner(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_d18_twenty_parallel_ratings_lose_nothing(db_url: DatabaseUrl) -> None:
    with psycopg.connect(db_url.raw) as conn:
        record_turn(
            conn, ALICE, "s-r", [{"role": "assistant", "content": f"a{i}"} for i in range(11)]
        )
        conn.commit()

    def work(i: int) -> None:
        message = (
            "msg-0" if i < 10 else f"msg-{i - 9}"
        )  # 10 on the same message, 10 on different ones
        rating = "helpful" if i % 2 else "not_helpful"
        with psycopg.connect(db_url.raw) as conn:
            rate_message(
                conn,
                ALICE,
                {
                    "messageId": message,
                    "sessionId": "s-r",
                    "rating": rating,
                    "sopUsed": "SOP-001",
                    "confidence": 0.5,
                },
            )
            conn.commit()

    assert _parallel(20, work) == []
    with psycopg.connect(db_url.raw) as conn:
        rows = conn.execute(
            "SELECT message_id, count(*) FROM message_feedback GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert dict(rows) == {f"msg-{i}": 1 for i in range(11)}


def test_d39_malformed_input_never_gives_500(db_url: DatabaseUrl, tmp_path: Path) -> None:
    bodies: list[Any] = [
        [],
        "text",
        5,
        None,
        {"sessionId": 1},
        {"sessionId": "s", "message": {}, "type": []},
        {"confidence": float("inf")},
    ]
    routes = [
        ("POST", "/api/chat-history"),
        ("PATCH", "/api/sessions"),
        ("POST", "/api/user-feedback"),
        ("POST", "/api/message-feedback"),
        ("PATCH", "/api/user-feedback/x"),
    ]
    with app_client(db_url, tmp_path) as client:
        act_as(client, ADMIN)
        for method, url in routes:
            for body in bodies:
                r = client.request(
                    method, url, content=_json(body), headers={"content-type": "application/json"}
                )
                assert 400 <= r.status_code < 500, (method, url, body, r.status_code)
                assert set(r.json()) == {"error", "code", "details"}
        for url in [
            "/api/sessions/x/thread?highlightMessageId=99999999999999999999",
            "/api/chat-history?sessionId=" + "x" * 300,
            "/api/message-feedback?sessionId=zz",
        ]:
            assert client.get(url).status_code < 500


def _json(body: Any) -> bytes:
    import json

    return json.dumps(body).encode()
