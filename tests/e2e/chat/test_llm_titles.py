"""Session titles by the model (a session title from the first question, or an LLM summary
when one is configured), against the local chat-completions server of fake_llm.py (real
HTTP, real httpx client). The title is made once, when the turn creates the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pmo_playbook.db.url import DatabaseUrl
from tests.support.app import app_client
from tests.support.fake_llm import FakeLlm, fake_llm_server

KEY = "sk-test-not-a-real-key-456"
QUESTION = "How do I create a project charter?"
MODEL_TITLE = "Creating a project charter"


@pytest.fixture
def llm() -> Iterator[FakeLlm]:
    """The fake answers title requests with MODEL_TITLE and chat requests with its JSON answer."""
    with fake_llm_server() as fake:
        answer_content = fake.content

        def content() -> str:
            system = fake.requests[-1]["messages"][0]["content"]
            return f'"{MODEL_TITLE}."' if "title" in system else answer_content()

        fake.content = content  # type: ignore[method-assign]
        yield fake


def _client(url: DatabaseUrl, tmp_path: Path, fake: FakeLlm | None, **extra: str) -> Any:
    settings = {"PMO_EMBEDDINGS": "off", "PMO_LLM_RETRIES": "0"}
    if fake is not None:
        settings |= {"OPENAI_API_KEY": KEY, "PMO_LLM_BASE_URL": fake.url}
        settings["PMO_LLM_TIMEOUT_SECONDS"] = "0.5"
    settings.update(extra)
    return app_client(url, tmp_path, **settings)


def _ask(client: TestClient, message: str, session: str | None = None) -> Any:
    token = client.cookies.get("pmo_csrf")
    payload: dict[str, Any] = {"message": message}
    if session:
        payload["sessionId"] = session
    headers = {"X-CSRF-Token": token} if token else {}
    reply = client.post("/api/chat", json=payload, headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json()


def _titles(client: TestClient) -> dict[str, str]:
    body = client.get("/api/sessions", params={"limit": 10}).json()
    return {s["sessionId"]: s["summary"] for s in body["sessions"]}


def _title_requests(fake: FakeLlm) -> list[dict[str, Any]]:
    return [r for r in fake.requests if "title" in r["messages"][0]["content"]]


def test_a_new_session_is_titled_by_the_model_once(
    sop_db_url: DatabaseUrl, tmp_path: Path, llm: FakeLlm
) -> None:
    with _client(sop_db_url, tmp_path, llm) as client:
        first = _ask(client, QUESTION)
        _ask(client, "and who signs it?", session=first["sessionId"])
        titles = _titles(client)
    assert titles[first["sessionId"]] == MODEL_TITLE, "quotes and the final stop removed"
    requests = _title_requests(llm)
    assert len(requests) == 1, "only the turn that creates the session asks for a title"
    user = requests[0]["messages"][1]["content"]
    assert "(UNTRUSTED USER TEXT)" in user and QUESTION in user
    assert "and who signs it?" not in user


def test_a_failing_title_call_falls_back_to_the_first_words(
    sop_db_url: DatabaseUrl, tmp_path: Path, llm: FakeLlm
) -> None:
    llm.mode = "error500"
    with _client(sop_db_url, tmp_path, llm) as client:
        first = _ask(client, QUESTION)
        titles = _titles(client)
    assert _title_requests(llm), "the model was asked"
    assert titles[first["sessionId"]] == "How do I create a"


def test_titles_can_be_kept_offline_with_a_model_configured(
    sop_db_url: DatabaseUrl, tmp_path: Path, llm: FakeLlm
) -> None:
    with _client(sop_db_url, tmp_path, llm, PMO_LLM_SESSION_TITLES="false") as client:
        first = _ask(client, QUESTION)
        titles = _titles(client)
    assert llm.requests, "the answer still comes from the model"
    assert not _title_requests(llm)
    assert titles[first["sessionId"]] == "How do I create a"


def test_without_a_model_the_title_is_the_offline_rule(
    sop_db_url: DatabaseUrl, tmp_path: Path
) -> None:
    with _client(sop_db_url, tmp_path, None) as client:
        first = _ask(client, "Comprehensive stakeholder communication planning requirements today?")
        titles = _titles(client)
    assert titles[first["sessionId"]] == "Comprehensive stakeholder comm..."
