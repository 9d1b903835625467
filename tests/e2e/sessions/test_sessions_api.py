"""/api/chat-history, /api/sessions and the thread route over the real database."""

from __future__ import annotations

from pathlib import Path

import psycopg

from pmo_playbook.db.url import DatabaseUrl
from tests.e2e.sessions.support import (
    ADMIN,
    ALICE,
    ANONYMOUS,
    BOB,
    VIEWER,
    VISITOR,
    act_as,
    assert_envelope,
    chat,
)
from tests.support.app import app_client


def test_chat_history_post_then_get_with_stable_ids(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        r = client.post(
            "/api/chat-history",
            json={"sessionId": "s1", "message": "How to start?", "type": "user"},
        )
        assert r.status_code == 200
        assert r.json() == {
            "success": True,
            "messageCount": 1,
            "messageId": "msg-0",
            "sessionId": "s1",
        }
        r = client.post(
            "/api/chat-history",
            json={
                "sessionId": "s1",
                "message": "Use SOP-002",
                "type": "assistant",
                "attribution": {
                    "selectedSOP": {"sopId": "SOP-002", "title": "x", "phase": 2},
                    "confidence": 0,
                },
            },
        )
        assert r.json()["messageCount"] == 2
        body = client.get("/api/chat-history", params={"sessionId": "s1"}).json()
    assert body["exists"] is True and body["sessionId"] == "s1"
    assert [m["messageId"] for m in body["messages"]] == ["msg-0", "msg-1"]
    assert body["messages"][1]["selectedSopId"] == "SOP-002"
    assert body["messages"][1]["confidence"] == 0
    assert body["sopUsage"][0]["sopId"] == "SOP-002" and body["sopUsage"][0]["usageCount"] == 1
    assert body["startedAt"].endswith("Z")


def test_chat_history_errors(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        r = client.get("/api/chat-history")
        assert r.status_code == 400
        assert_envelope(r.json(), "BAD_REQUEST", "SessionId is required")
        r = client.post("/api/chat-history", json={"sessionId": "s1", "message": "x"})
        assert r.status_code == 400
        assert_envelope(r.json(), "BAD_REQUEST", "SessionId, message, and type are required")
        r = client.post(
            "/api/chat-history", json={"sessionId": "s1", "message": "x", "type": "robot"}
        )
        assert r.status_code == 422
        assert_envelope(r.json(), "INVALID_INPUT")
        r = client.post(
            "/api/chat-history",
            json={
                "sessionId": "s1",
                "message": "x",
                "type": "assistant",
                "attribution": {"selectedSOP": {"sopId": "bad"}, "confidence": 3},
            },
        )
        assert r.status_code == 422
        r = client.post(
            "/api/chat-history", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert r.status_code == 422
        assert_envelope(r.json(), "INVALID_INPUT")
        missing = client.get("/api/chat-history", params={"sessionId": "nope"}).json()
        assert missing == {"messages": [], "sessionId": "nope", "exists": False}


def test_d3_object_session_ids_are_rejected(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        chat(client, "s-alice", "q", "a")
        act_as(client, BOB)
        for method, url, body in [
            (
                "POST",
                "/api/chat-history",
                {"sessionId": {"$gt": ""}, "message": "x", "type": "user"},
            ),
            ("PATCH", "/api/sessions", {"sessionId": {"$ne": None}, "sessionName": "pwned"}),
            (
                "POST",
                "/api/message-feedback",
                {
                    "messageId": "msg-1",
                    "sessionId": {"$gt": ""},
                    "rating": "helpful",
                    "sopUsed": "SOP-002",
                    "confidence": 0.5,
                },
            ),
            (
                "POST",
                "/api/user-feedback",
                {
                    "sessionId": ["s-alice"],
                    "userQuestion": "q",
                    "aiResponse": "a",
                    "userComment": "c",
                    "sopId": "SOP-002",
                },
            ),
        ]:
            r = client.request(method, url, json=body)
            assert r.status_code == 422, (url, r.text)
            assert_envelope(r.json(), "INVALID_INPUT")
        act_as(client, ALICE)
        names = [s["name"] for s in client.get("/api/sessions").json()["sessions"]]
    assert names == ["q"]


def test_d2_sessions_are_private_to_their_owner(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        chat(client, "s-alice", "What is a charter?", "Answer")
        act_as(client, BOB)
        chat(client, "s-bob", "Risk register?", "Answer")
        assert [s["sessionId"] for s in client.get("/api/sessions").json()["sessions"]] == ["s-bob"]
        assert (
            client.get("/api/chat-history", params={"sessionId": "s-alice"}).json()["exists"]
            is False
        )
        r = client.patch("/api/sessions", json={"sessionId": "s-alice", "sessionName": "mine"})
        assert r.status_code == 404
        assert_envelope(r.json(), "NOT_FOUND", "Session not found")
        assert client.delete("/api/sessions", params={"sessionId": "s-alice"}).status_code == 404
        assert client.get("/api/sessions/s-alice/thread").status_code == 404
        r = client.post(
            "/api/chat-history", json={"sessionId": "s-alice", "message": "x", "type": "user"}
        )
        assert r.status_code == 404
        act_as(client, ADMIN)
        thread = client.get("/api/sessions/s-alice/thread")
        assert thread.status_code == 200 and thread.json()["messageCount"] == 2
        act_as(client, ALICE)
        body = client.get("/api/chat-history", params={"sessionId": "s-alice"}).json()
    assert body["exists"] is True and len(body["messages"]) == 2


def test_sessions_list_titles_and_shape(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, VISITOR)
        chat(
            client,
            "s-1",
            "Comprehensive stakeholder communication planning requirements today?",
            "A",
        )
        chat(client, "s-2", "Risks?", "B")
        client.patch("/api/sessions", json={"sessionId": "s-1", "updateLastActive": True})
        body = client.get("/api/sessions", params={"currentSessionId": "s-2", "limit": 5}).json()
    assert body["total"] == 2
    first, second = body["sessions"]
    assert first["sessionId"] == "s-1"  # bumped lastActive
    assert (
        first["name"] == "Comprehensive stakeholder comm..."
    )  # legacy rule: 5 words, 30 chars + ...
    assert first["summary"] == first["name"] and first["sessionName"] is None
    assert first["messageCount"] == 2 and first["isActive"] is False
    assert second["isActive"] is True and second["name"] == "Risks?"
    assert set(first) == {
        "sessionId",
        "name",
        "sessionName",
        "summary",
        "messageCount",
        "startedAt",
        "lastActive",
        "isActive",
    }


def test_sessions_list_titles_migrated_sessions_once(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with psycopg.connect(db_url.raw) as conn:
        conn.execute(
            "INSERT INTO chat_histories (session_id, legacy_id, user_id, data) VALUES "
            "('legacy-1', '68b7401ed26e8f759fe5461e', 'user-alice', %s::jsonb), "
            "('legacy-2', '68b7401ed26e8f759fe5461f', 'user-alice', %s::jsonb)",
            (
                '{"sessionId": "legacy-1", "messages": [{"role": "user", "content": "one two"}, '
                '{"role": "user", "content": "three four five six"}]}',
                '{"sessionId": "legacy-2", "messages": [{"role": "assistant", "content": "hi"}]}',
            ),
        )
        conn.commit()
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        items = {s["sessionId"]: s for s in client.get("/api/sessions").json()["sessions"]}
    assert items["legacy-1"]["name"] == "one two three four five"
    assert items["legacy-2"]["name"] == "Empty conversation"
    with psycopg.connect(db_url.raw) as conn:
        stored = conn.execute(
            "SELECT data->>'summary' FROM chat_histories ORDER BY session_id"
        ).fetchall()
    assert stored == [("one two three four five",), ("Empty conversation",)]


def test_sessions_patch_and_delete(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        chat(client, "s-1", "q", "a")
        r = client.patch("/api/sessions", json={"sessionId": "s-1", "sessionName": "Charter talk"})
        assert r.status_code == 200
        body = r.json()
        assert body["success"] is True and body["session"]["sessionName"] == "Charter talk"
        assert body["session"]["sessionId"] == "s-1" and body["session"]["lastActive"].endswith("Z")
        r = client.patch("/api/sessions", json={"sessionId": "s-1", "sessionName": ""})
        assert r.json()["session"]["sessionName"] == ""
        r = client.patch("/api/sessions", json={"sessionName": "x"})
        assert r.status_code == 400
        assert_envelope(r.json(), "BAD_REQUEST", "SessionId is required")
        r = client.patch("/api/sessions", json={"sessionId": "s-1", "sessionName": 5})
        assert r.status_code == 422
        r = client.delete("/api/sessions")
        assert r.status_code == 400
        assert_envelope(r.json(), "BAD_REQUEST", "SessionId is required")
        r = client.delete("/api/sessions", params={"sessionId": "s-1"})
        assert r.json() == {"success": True, "message": "Session deleted successfully"}
        r = client.delete("/api/sessions", params={"sessionId": "s-1"})
        assert r.status_code == 404
        assert_envelope(r.json(), "NOT_FOUND", "Session not found")
        assert (
            client.get("/api/chat-history", params={"sessionId": "s-1"}).json()["exists"] is False
        )


def test_d5_limit_and_skip_are_validated(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ADMIN)
        for url in [
            "/api/sessions?limit=abc",
            "/api/sessions?limit=-1",
            "/api/sessions?limit=0",
            "/api/sessions?limit=100000",
            "/api/chat-history?limit=NaN",
            "/api/user-feedback?skip=-5",
            "/api/user-feedback?limit=abc",
            "/api/message-feedback?limit=-1",
        ]:
            method = "PATCH" if url.startswith("/api/chat-history") else "GET"
            r = client.request(method, url)
            assert r.status_code == 422, url
            assert_envelope(r.json(), "INVALID_INPUT")


def test_d24_last_active_moves_when_messages_are_sent(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        chat(client, "old", "first", "a")
        chat(client, "new", "second", "b")
        with psycopg.connect(db_url.raw) as conn:
            conn.execute("UPDATE chat_histories SET last_active = '2020-01-01Z'")
            conn.commit()
        chat(client, "old", "third", "c")  # no PATCH: sending alone must bump lastActive
        ids = [s["sessionId"] for s in client.get("/api/sessions").json()["sessions"]]
    assert ids == ["old", "new"]


def test_d30_thread_includes_session_id(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        chat(client, "s-t", "q1", "a1")
        r = client.get("/api/sessions/s-t/thread")
        missing = client.get("/api/sessions/none/thread")
    assert r.status_code == 200
    body = r.json()
    assert body["sessionId"] == "s-t"
    # one title everywhere: an unnamed session is shown by its summary (was "Unnamed Session")
    assert body["sessionName"] == "q1" and body["summary"] == "q1"
    assert body["messageCount"] == 2 and body["lastActive"].endswith("Z")
    assert missing.status_code == 404
    assert_envelope(missing.json(), "NOT_FOUND", "Session not found")


def test_d28_thread_highlights_the_stored_message_id(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        chat(client, "s-t", "q1", "a1")
        chat(client, "s-t", "q2", "a2")
        history = client.get("/api/chat-history", params={"sessionId": "s-t"}).json()
        answer_id = history["messages"][3]["messageId"]
        body = client.get(
            "/api/sessions/s-t/thread", params={"highlightMessageId": answer_id}
        ).json()
        none = client.get(
            "/api/sessions/s-t/thread", params={"highlightMessageId": "msg-99"}
        ).json()
    assert answer_id == "msg-3"
    assert [m["id"] for m in body["messages"]] == ["msg-0", "msg-1", "msg-2", "msg-3"]
    assert [m["isHighlighted"] for m in body["messages"]] == [False, False, False, True]
    assert body["messages"][3]["selectedSopId"] == "SOP-002"
    assert body["messages"][0]["selectedSopId"] is None
    assert not any(m["isHighlighted"] for m in none["messages"])


def test_d31_chat_history_patch_still_reads_active_sessions(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        chat(client, "s-a", "q", "x" * 150)
        act_as(client, BOB)
        chat(client, "s-b", "q", "b")
        act_as(client, ALICE)
        r = client.patch("/api/chat-history", params={"limit": 10})
    assert r.status_code == 200
    sessions = r.json()["sessions"]
    assert len(sessions) == 1
    assert sessions[0]["sessionId"] == "s-a" and sessions[0]["messageCount"] == 2
    assert sessions[0]["lastMessage"] == "x" * 100


def test_d27_session_analytics_count_sessions_messages_usage_and_days(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    with app_client(db_url, tmp_path) as client:
        act_as(client, ALICE)
        chat(client, "s-1", "q", "a", sop="SOP-001")
        chat(client, "s-1", "q", "a", sop="SOP-001")
        act_as(client, BOB)
        chat(client, "s-2", "q", "a", sop="SOP-003")
        with psycopg.connect(db_url.raw) as conn:  # an old session: counted, not in the last 7 days
            conn.execute(
                "INSERT INTO chat_histories (session_id, user_id, data) VALUES ('old', 'x', %s::jsonb)",
                (
                    '{"messages": [{"role": "user", "content": "q", "timestamp": "2020-01-01T00:00:00.000Z"}],'
                    ' "sopUsage": [{"sopId": "SOP-001", "usageCount": 3}]}',
                ),
            )
            conn.commit()
        r_anon = act_as(client, ANONYMOUS).get("/api/sessions", params={"analytics": "true"})
        r_user = act_as(client, ALICE).get("/api/sessions", params={"analytics": "true"})
        body = act_as(client, VIEWER).get("/api/sessions", params={"analytics": "true"}).json()
    assert r_anon.status_code == 401 and r_user.status_code == 403
    assert_envelope(r_user.json(), "FORBIDDEN")
    assert body["totalSessions"] == 3
    assert body["totalMessages"] == 7
    assert body["avgMessagesPerSession"] == 2.3
    assert body["sopUsageFrequency"] == {"SOP-001": 5, "SOP-003": 1}
    assert len(body["recentActivity"]) == 1
    today = body["recentActivity"][0]
    assert today["_id"] == today["date"] and len(today["date"]) == 10
    assert today["sessions"] == 2 and today["messages"] == 6


def test_d28_legacy_client_id_highlights_the_answer_given_before_it() -> None:
    from pmo_playbook.services.sessions import _highlight_index

    messages = [
        {"messageId": "msg-0", "role": "user", "timestamp": "2025-07-14T03:18:40.000Z"},
        {"messageId": "msg-1", "role": "assistant", "timestamp": "2025-07-14T03:18:50.000Z"},
        {"messageId": "msg-2", "role": "user", "timestamp": "2025-07-14T03:19:40.000Z"},
        {"messageId": "msg-3", "role": "assistant", "timestamp": "2025-07-14T03:19:50.000Z"},
    ]
    assert _highlight_index(messages, "1752463136000") == 1  # 03:18:56, before the second answer
    assert _highlight_index(messages, "msg-3") == 3
    assert _highlight_index(messages, "1000") is None
    assert _highlight_index(messages, None) is None


def test_openapi_documents_the_routes(db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(db_url, tmp_path) as client:
        spec = client.get("/openapi.json").json()
    for path in (
        "/api/sessions",
        "/api/sessions/{sessionId}/thread",
        "/api/chat-history",
        "/api/user-feedback",
        "/api/user-feedback/{feedback_id}",
        "/api/user-feedback/{feedback_id}/suggestion",
        "/api/message-feedback",
        "/api/analytics",
    ):
        assert path in spec["paths"], path
