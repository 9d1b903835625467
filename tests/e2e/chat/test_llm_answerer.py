"""The LLM path against a local chat-completions server: success, timeout, 500, malformed
JSON, a citation to a SOP that was not retrieved, failure modes, and prompt delimiting (D4)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from pmo_playbook.db.url import DatabaseUrl
from tests.support.app import app_client
from tests.support.fake_llm import FakeLlm, fake_llm_server

KEY = "sk-test-not-a-real-key-123"
QUESTION = "How do I create a project charter?"


@pytest.fixture
def llm() -> Iterator[FakeLlm]:
    with fake_llm_server() as fake:
        yield fake


def _client(url: DatabaseUrl, tmp_path: Path, fake: FakeLlm, **extra: str) -> Any:
    settings = {
        "OPENAI_API_KEY": KEY,
        "PMO_LLM_BASE_URL": fake.url,
        "PMO_LLM_MODEL": "local-test-model",
        "PMO_LLM_TIMEOUT_SECONDS": "0.5",
        "PMO_LLM_RETRIES": "0",
        "PMO_EMBEDDINGS": "off",
        "PMO_LLM_SESSION_TITLES": "false",  # titles by the model: test_llm_titles.py
    }
    settings.update(extra)
    return app_client(url, tmp_path, **settings)


def _ask(client: TestClient, message: str = QUESTION, session: str | None = None) -> Any:
    token = client.cookies.get("pmo_csrf")
    payload: dict[str, Any] = {"message": message}
    if session:
        payload["sessionId"] = session
    return client.post("/api/chat", json=payload, headers={"X-CSRF-Token": token} if token else {})


def test_llm_success_uses_the_model_answer_and_its_citations(
    sop_db_url: DatabaseUrl, tmp_path: Path, llm: FakeLlm
) -> None:
    with _client(sop_db_url, tmp_path, llm) as client:
        reply = _ask(client)
    assert reply.status_code == 200
    body = reply.json()
    assert body["response"] == llm.answer
    assert body["citations"] == llm.citations
    assert body["attribution"]["selectedSOP"]["sopId"] == "SOP-002"
    request = llm.requests[0]
    assert request["model"] == "local-test-model"
    assert llm.headers[0]["Authorization"] == f"Bearer {KEY}"
    system, user = request["messages"]
    assert system["role"] == "system" and "UNTRUSTED" in system["content"]
    assert "(UNTRUSTED USER TEXT)" in user["content"] and QUESTION in user["content"]
    assert (
        "(UNTRUSTED SOP TEXT)" in user["content"] and "Project Charter Template" in user["content"]
    )


def test_llm_citation_to_an_unretrieved_sop_is_dropped(
    sop_db_url: DatabaseUrl, tmp_path: Path, llm: FakeLlm
) -> None:
    llm.citations = [
        {"sopId": "SOP-002", "section": "Deliverables", "quote": "Project Charter"},
        {"sopId": "SOP-004", "section": "Deliverables", "quote": "Change Requests"},
        {"sopId": "SOP-999", "section": "x", "quote": "invented"},
        "not an object",
    ]
    with _client(sop_db_url, tmp_path, llm) as client:
        body = _ask(client).json()
    assert body["citations"] == [
        {"sopId": "SOP-002", "section": "Deliverables", "quote": "Project Charter"}
    ]


@pytest.mark.parametrize("mode", ["slow", "error500", "malformed"])
def test_llm_failure_falls_back_to_the_offline_answer(
    sop_db_url: DatabaseUrl,
    tmp_path: Path,
    llm: FakeLlm,
    mode: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    llm.mode = mode
    with caplog.at_level(logging.WARNING), _client(sop_db_url, tmp_path, llm) as client:
        reply = _ask(client)
    assert reply.status_code == 200
    body = reply.json()
    assert body["response"] != llm.answer
    assert "Project Charter Template" in body["response"], "the offline answer"
    assert {c["sopId"] for c in body["citations"]} == {"SOP-002"}
    failures = [r.getMessage() for r in caplog.records if "LLM answer failed" in r.getMessage()]
    assert failures, "the failure is logged"
    assert all(KEY not in m and QUESTION not in m for m in failures)


def test_llm_retries_a_5xx_once(sop_db_url: DatabaseUrl, tmp_path: Path, llm: FakeLlm) -> None:
    llm.mode = "flaky"
    with _client(sop_db_url, tmp_path, llm, PMO_LLM_RETRIES="1") as client:
        body = _ask(client).json()
    assert body["response"] == llm.answer
    assert len(llm.requests) == 2


def test_llm_failure_mode_error_answers_503_and_stores_nothing(
    sop_db_url: DatabaseUrl, tmp_path: Path, llm: FakeLlm
) -> None:
    llm.mode = "error500"
    with _client(sop_db_url, tmp_path, llm, PMO_LLM_FAILURE_MODE="error") as client:
        reply = _ask(client, session="llm-down-1")
    assert reply.status_code == 503
    assert reply.json()["code"] == "AI_SERVICE_ERROR"
    with psycopg.connect(sop_db_url.raw) as conn:
        row = conn.execute(
            "SELECT count(*) FROM chat_histories WHERE session_id = 'llm-down-1'"
        ).fetchone()
    assert row == (0,), "no question stored without its answer (D17)"


def test_llm_gets_the_previous_turns_as_context(
    sop_db_url: DatabaseUrl, tmp_path: Path, llm: FakeLlm
) -> None:
    with _client(sop_db_url, tmp_path, llm) as client:
        first = _ask(client).json()
        _ask(client, "and the RAID log template?", session=first["sessionId"])
    user = llm.requests[1]["messages"][1]["content"]
    assert "Conversation so far (UNTRUSTED CONVERSATION TEXT)" in user
    assert QUESTION in user and llm.answer in user


def test_off_topic_question_does_not_call_the_llm(
    sop_db_url: DatabaseUrl, tmp_path: Path, llm: FakeLlm
) -> None:
    with _client(sop_db_url, tmp_path, llm) as client:
        body = _ask(client, "what's the weather in Rome?").json()
    assert body["attribution"]["selectedSOP"] is None
    assert llm.requests == []
