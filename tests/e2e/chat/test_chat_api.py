"""POST /api/chat over a real PostgreSQL: contract, persistence, validation, limits, races."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from pmo_playbook.db.url import DatabaseUrl
from tests.support.app import app_client


def post(client: TestClient, payload: dict[str, Any]) -> Response:
    """POST /api/chat as a browser does: echo the pmo_csrf cookie once the app has set one."""
    token = client.cookies.get("pmo_csrf")
    headers = {"X-CSRF-Token": token} if token else {}
    return client.post("/api/chat", json=payload, headers=headers)


OFFLINE = {"PMO_EMBEDDINGS": "off", "PMO_CHAT_RATE_LIMIT_PER_MINUTE": "1000"}


def _session(url: DatabaseUrl, session_id: str) -> dict[str, Any] | None:
    with psycopg.connect(url.raw) as conn:
        row = conn.execute(
            "SELECT data, last_active FROM chat_histories WHERE session_id = %s", (session_id,)
        ).fetchone()
    return None if row is None else {"data": row[0], "last_active": row[1]}


def test_chat_answers_with_attribution_citations_and_stores_the_turn(
    sop_db_url: DatabaseUrl, tmp_path: Path
) -> None:
    with app_client(sop_db_url, tmp_path, **OFFLINE) as client:
        reply = post(client, {"message": "How do I create a project charter?"})
        assert reply.status_code == 200
        body = reply.json()
        assert set(body) == {"response", "sessionId", "attribution", "messageId", "citations"}
        assert re.fullmatch(r"session-\d{13}-[0-9a-z]{9}", body["sessionId"])
        assert body["attribution"]["selectedSOP"] == {
            "sopId": "SOP-002",
            "title": "Initiation Phase",
            "phase": 2,
        }
        assert 0.35 <= body["attribution"]["confidence"] <= 1
        assert body["messageId"] == "msg-1"
        assert "Project Charter Template" in body["response"]
        assert body["citations"] and all(c["sopId"] == "SOP-002" for c in body["citations"])
        quotes = {c["quote"] for c in body["citations"]}
        assert "Project Charter" in quotes and "Project Charter Template" in quotes

        second = post(
            client,
            {"message": "and who runs the kick-off?", "sessionId": body["sessionId"]},
        ).json()
        assert second["sessionId"] == body["sessionId"]
        assert second["messageId"] == "msg-3"

    stored = _session(sop_db_url, body["sessionId"])
    assert stored is not None
    messages = stored["data"]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert [m["messageId"] for m in messages] == ["msg-0", "msg-1", "msg-2", "msg-3"]
    assert messages[0]["content"] == "How do I create a project charter?"
    assert messages[1]["selectedSopId"] == "SOP-002"
    assert messages[1]["citations"] == body["citations"]
    usage = stored["data"]["sopUsage"]
    assert [(u["sopId"], u["usageCount"]) for u in usage] == [("SOP-002", 2)]
    assert stored["data"]["lastActive"] == messages[-1]["timestamp"]
    assert stored["data"].get("summary"), "a title is made from the first question"


def test_chat_off_topic_selects_no_sop(sop_db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(sop_db_url, tmp_path, **OFFLINE) as client:
        body = post(client, {"message": "write me a poem about the sea"}).json()
    assert body["attribution"]["selectedSOP"] is None
    assert body["attribution"]["confidence"] < 0.35
    assert body["citations"] == []
    assert "could not find a PMO SOP" in body["response"]
    assert "SOP-001" in body["response"], "the answer lists what the playbook covers"
    stored = _session(sop_db_url, body["sessionId"])
    assert stored is not None and stored["data"]["sopUsage"] == []
    assert "selectedSopId" not in stored["data"]["messages"][1]


@pytest.mark.parametrize("payload", [{}, {"message": ""}, {"message": "   "}, {"message": None}])
def test_chat_missing_message_is_400_legacy(
    sop_db_url: DatabaseUrl, tmp_path: Path, payload: dict[str, Any]
) -> None:
    with app_client(sop_db_url, tmp_path, **OFFLINE) as client:
        reply = post(client, payload)
    assert reply.status_code == 400
    assert reply.json()["error"] == "Message is required"


@pytest.mark.parametrize(
    "payload",
    [
        {"message": 42},
        {"message": {"$gt": ""}},
        {"message": ["a"]},
        {"message": "hello", "sessionId": {"$gt": ""}},
        {"message": "hello", "sessionId": 7},
    ],
)
def test_chat_wrong_types_are_422_d3(
    sop_db_url: DatabaseUrl, tmp_path: Path, payload: dict[str, Any]
) -> None:
    with app_client(sop_db_url, tmp_path, **OFFLINE) as client:
        reply = post(client, payload)
    assert reply.status_code == 422
    assert reply.json()["code"] == "INVALID_INPUT"


def test_chat_message_too_long_is_422_d5(sop_db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(sop_db_url, tmp_path, PMO_CHAT_MAX_MESSAGE_CHARS="50", **OFFLINE) as client:
        reply = post(client, {"message": "x" * 51})
        ok = post(client, {"message": "x" * 50})
    assert reply.status_code == 422
    assert reply.json()["details"]["maxChars"] == 50
    assert ok.status_code == 200


def test_chat_rate_limit_429_with_retry_after_d5(sop_db_url: DatabaseUrl, tmp_path: Path) -> None:
    with app_client(
        sop_db_url, tmp_path, PMO_EMBEDDINGS="off", PMO_CHAT_RATE_LIMIT_PER_MINUTE="2"
    ) as client:
        codes = [
            post(client, {"message": "charter", "sessionId": "s-1"}).status_code for _ in range(2)
        ]
        limited = post(client, {"message": "charter", "sessionId": "s-1"})
    assert codes == [200, 200]
    assert limited.status_code == 429
    assert limited.json()["code"] == "RATE_LIMITED"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    stored = _session(sop_db_url, "s-1")
    assert stored is not None and len(stored["data"]["messages"]) == 4, "refused turn not stored"


def test_chat_concurrent_first_messages_in_one_new_session_d17(
    sop_db_url: DatabaseUrl, tmp_path: Path
) -> None:
    questions = ["How do I close a project?", "What is a RAID log?", "WBS", "status report"]
    barrier = threading.Barrier(len(questions))
    results: list[int] = []

    with app_client(sop_db_url, tmp_path, PMO_DB_POOL_MAX="8", **OFFLINE) as client:
        post(client, {"message": "warm the index up"})

        def ask(question: str) -> None:
            barrier.wait()
            reply = post(client, {"message": question, "sessionId": "race-1"})
            results.append(reply.status_code)

        threads = [threading.Thread(target=ask, args=(q,)) for q in questions]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == [200] * len(questions)
    stored = _session(sop_db_url, "race-1")
    assert stored is not None
    messages = stored["data"]["messages"]
    assert len(messages) == 2 * len(questions)
    assert sorted(m["content"] for m in messages if m["role"] == "user") == sorted(questions)
    for i in range(0, len(messages), 2):  # every question is directly followed by its answer
        assert messages[i]["role"] == "user" and messages[i + 1]["role"] == "assistant"
    assert [m["messageId"] for m in messages] == [f"msg-{i}" for i in range(len(messages))]


def test_chat_answer_never_repeats_a_line(sop_db_url: DatabaseUrl, tmp_path: Path) -> None:
    """The SOP summary often repeats its objective word for word: the answer says it once."""
    with app_client(sop_db_url, tmp_path, **OFFLINE) as client:
        reply = post(client, {"message": "What deliverables do I need to close a project?"})
    assert reply.status_code == 200
    bullets = [line for line in reply.json()["response"].splitlines() if line.startswith("- ")]
    assert bullets
    assert len(bullets) == len(set(bullets))
