"""Retrieval on a library written in the app: nothing tuned to the bundled SOPs.

Each test starts from an empty (migrated) database and creates its SOPs through the API, as
another organisation would, then asks through POST /api/chat.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from pmo_playbook.ai import embeddings
from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.repositories.projects import ProjectRepository
from pmo_playbook.services.actor import Actor, Role
from pmo_playbook.web.deps import get_actor
from tests.support.app import app_client

ADMIN = Actor(user_id="u-admin", display="admin@example.org", role=Role.ADMIN)
LIMITS = {"PMO_CHAT_RATE_LIMIT_PER_MINUTE": "1000"}

VENDOR_RISK = """# Supplier Risk Review
Phase: 4

## Overview
This procedure keeps supplier risks visible while a contract is delivered.

## Objectives
- Keep supplier risks visible and owned.

## Key Activities
- Log each supplier risk as soon as it is raised.

## Supplier risk register
The supplier risk register records each risk raised against a contracted supplier.
Every entry names the contract, the supplier contact and the mitigation agreed with them.

## Review cadence
The contract manager reviews open supplier risks every fortnight with the supplier.
"""
PROJECT_RISK = """# Project Risk Review
Phase: 4

## Overview
This procedure keeps the project's own risks visible during delivery.

## Objectives
- Keep project risks visible and owned.

## Key Activities
- Log each project risk as soon as it is raised.

## Project risk register
The project risk register records each risk to the project's scope, schedule or budget.
Every entry names an owner inside the team, a probability and an impact score from 1 to 5.

## Review cadence
The project manager reviews open project risks every week with the core team.
"""
GLOSSARY_ONLY = """# Estimation Procedure
Phase: 3

## Overview
How the team estimates the effort of planned work before the schedule is set.

## Objectives
- Estimates that the people doing the work agree with.

## Key Activities
- Break the work down into a Work Breakdown Structure before estimating.
- Estimate each work package with the people who will do the work.
- Record every estimate and its assumptions in the estimate log.
"""


@pytest.fixture
def client(db_url: DatabaseUrl, tmp_path: Path) -> Iterator[TestClient]:
    with app_client(db_url, tmp_path, **LIMITS) as c:
        c.app.dependency_overrides[get_actor] = lambda: ADMIN  # type: ignore[attr-defined]
        yield c


def _create(client: TestClient, sop_id: str, markdown: str) -> None:
    reply = client.post("/api/content-db", json={"sopId": sop_id, "markdownContent": markdown})
    assert reply.status_code in (200, 201), reply.text


def _ask(client: TestClient, message: str, **extra: Any) -> dict[str, Any]:
    reply = client.post("/api/chat", json={"message": message, **extra})
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def test_a_sop_created_through_the_api_is_answerable_at_once(
    client: TestClient, db_url: DatabaseUrl
) -> None:
    _create(client, "SOP-101", VENDOR_RISK)
    with psycopg.connect(db_url.raw) as conn:  # indexed in the transaction that created it
        count = conn.execute("SELECT count(*) FROM sop_passages WHERE sop_id = 'SOP-101'")
        assert count.fetchone()[0] > 0  # type: ignore[index]
    body = _ask(client, "How often are supplier risks reviewed?")
    assert body["attribution"]["selectedSOP"]["sopId"] == "SOP-101"
    assert "every fortnight" in body["response"]
    assert {"sopId": "SOP-101", "section": "Review cadence"} in [
        {k: c[k] for k in ("sopId", "section")} for c in body["citations"]
    ]


def test_an_edit_is_answerable_at_once(client: TestClient) -> None:
    _create(client, "SOP-101", VENDOR_RISK)
    edited = VENDOR_RISK.replace("every fortnight", "every month")
    reply = client.put(
        "/api/content-db",
        json={"sopId": "SOP-101", "markdownContent": edited, "type": "human"},
    )
    assert reply.status_code == 200, reply.text
    body = _ask(client, "How often are supplier risks reviewed?")
    assert "every month" in body["response"] and "fortnight" not in body["response"]


def test_two_near_identical_sops_each_cited_for_its_own_sections(client: TestClient) -> None:
    _create(client, "SOP-101", VENDOR_RISK)
    _create(client, "SOP-102", PROJECT_RISK)
    supplier = _ask(client, "What does each entry of the supplier risk register name?")
    project = _ask(client, "What does each entry of the project risk register name?")
    assert supplier["attribution"]["selectedSOP"]["sopId"] == "SOP-101"
    assert project["attribution"]["selectedSOP"]["sopId"] == "SOP-102"
    assert "the supplier contact" in supplier["response"]
    assert "impact score from 1 to 5" in project["response"]
    assert ("SOP-101", "Supplier risk register") in {
        (c["sopId"], c["section"]) for c in supplier["citations"]
    }
    assert ("SOP-102", "Project risk register") in {
        (c["sopId"], c["section"]) for c in project["citations"]
    }
    for body in (supplier, project):  # each (SOP, section) cited once
        pairs = [(c["sopId"], c["section"]) for c in body["citations"]]
        assert len(pairs) == len(set(pairs))


def test_off_topic_is_declined_on_a_new_library(client: TestClient) -> None:
    _create(client, "SOP-101", VENDOR_RISK)
    _create(client, "SOP-102", PROJECT_RISK)
    body = _ask(client, "What is the capital of Australia?")
    assert body["attribution"]["selectedSOP"] is None
    assert body["citations"] == []


def test_a_thing_named_but_not_defined_is_said_plainly(client: TestClient) -> None:
    _create(client, "SOP-103", GLOSSARY_ONLY)
    body = _ask(client, "What is a Work Breakdown Structure?")
    assert body["attribution"]["selectedSOP"]["sopId"] == "SOP-103"
    assert "names “Work Breakdown Structure” but does not define it" in body["response"]


def test_hybrid_is_on_with_the_packaged_model(client: TestClient) -> None:
    assert embeddings.get_model() is not None, "the model is part of the install"
    health = client.get("/healthz").json()
    assert health["retrieval"] == "hybrid"
    _create(client, "SOP-101", VENDOR_RISK)
    body = _ask(client, "How often are supplier risks reviewed?")
    assert "hybrid" in body["attribution"]["reasoning"]


def test_without_the_model_full_text_only_is_reported_and_answers_still_come(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embeddings, "model_file", lambda: None)  # the package is not installed
    embeddings.reset_for_tests()
    try:
        health = client.get("/healthz").json()
        assert health["retrieval"] == "full-text"
        assert "not installed" in health["retrievalDetail"]
        _create(client, "SOP-101", VENDOR_RISK)
        body = _ask(client, "How often does the contract manager review supplier risks?")
        assert body["attribution"]["selectedSOP"]["sopId"] == "SOP-101"
        assert "full-text" in body["attribution"]["reasoning"]
        assert "hybrid" not in body["attribution"]["reasoning"]
    finally:
        monkeypatch.undo()
        embeddings.reset_for_tests()


def _project(db_url: DatabaseUrl, milestones: list[tuple[datetime, str]]) -> None:
    data = {
        "projectId": "PRO-900",
        "projectName": "Data Centre Move",
        "sponsor": "Ada Lovelace, COO",
        "businessCaseSummary": "Move the servers.",
        "resourceRequirements": "Two engineers",
        "keyDatesMilestones": [
            {"date": when.isoformat(), "description": text} for when, text in milestones
        ],
        "isActive": True,
    }
    with psycopg.connect(db_url.raw) as conn:
        ProjectRepository(conn).insert("PRO-900", "p900", data)


def test_project_questions_use_the_record_and_the_current_phase_sop(
    client: TestClient, db_url: DatabaseUrl
) -> None:
    _create(client, "SOP-103", GLOSSARY_ONLY)  # phase 3
    _create(client, "SOP-101", VENDOR_RISK)  # phase 4
    now = datetime.now(UTC)
    _project(
        db_url,
        [
            (now - timedelta(days=60), "Contract signed"),
            (now + timedelta(days=30), "Servers moved"),
        ],
    )
    sponsor = _ask(client, "Who is the sponsor?", projectId="PRO-900")
    assert "Ada Lovelace, COO" in sponsor["response"]
    milestone = _ask(client, "What is the next milestone?", projectId="PRO-900")
    assert "Servers moved" in milestone["response"]
    assert (now + timedelta(days=30)).strftime("%Y-%m-%d") in milestone["response"]
    doing = _ask(client, "What should we be doing now?", projectId="PRO-900")
    # one of two milestones past: the second of the library's two phases (4)
    assert doing["attribution"]["selectedSOP"]["sopId"] == "SOP-101"
    assert "phase 4" in doing["response"] and doing["citations"]
    assert (
        _ask(client, "What is the capital of Australia?", projectId="PRO-900")["attribution"][
            "selectedSOP"
        ]
        is None
    )
    bad = client.post("/api/chat", json={"message": "Who is the sponsor?", "projectId": 5})
    assert bad.status_code == 422
    missing = client.post("/api/chat", json={"message": "hi", "projectId": "PRO-404"})
    assert missing.status_code == 404
