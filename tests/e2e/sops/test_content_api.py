"""SOP content API: content-db, files-db, regenerate, versions/diff/rollback; D9, D10, D13, D39."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from pmo_playbook.db.url import DatabaseUrl
from tests.e2e.sops.conftest import ANONYMOUS, USER, ActingClient, assert_envelope, sop_markdown


def _edit(api: ActingClient, sop_id: str, markdown: str) -> object:
    return api.put(
        "/api/content-db", json={"sopId": sop_id, "markdownContent": markdown, "type": "human"}
    )


def test_content_get_human_agent_and_lists(sops_api: ActingClient) -> None:
    human = sops_api.get("/api/content-db", params={"sopId": "SOP-001"}).json()
    assert set(human) == {"content", "title", "phase", "version", "updatedAt"}
    assert (
        human["title"] == "Pre-Initiation Phase" and human["phase"] == 1 and human["version"] == 1
    )
    agent = sops_api.get("/api/content-db", params={"sopId": "SOP-005", "type": "agent"}).json()
    assert set(agent) == {"content", "title", "phase", "summary"}
    assert set(agent["content"]) == {
        "sopId",
        "title",
        "phase",
        "summary",
        "sections",
        "keywords",
        "relatedSops",
    }
    assert agent["phase"] == 5 and agent["content"]["relatedSops"] == ["SOP-004"]
    everything = sops_api.get("/api/content-db", params={"all": "true", "type": "human"}).json()
    assert [s["sopId"] for s in everything["sops"]] == [f"SOP-00{n}" for n in range(1, 6)]
    assert set(everything["sops"][0]) == {
        "_id",
        "sopId",
        "title",
        "phase",
        "version",
        "markdownContent",
        "updatedAt",
    }
    agents = sops_api.get("/api/content-db", params={"all": "true", "type": "agent"}).json()
    assert [s["phase"] for s in agents["sops"]] == [1, 2, 3, 4, 5]


def test_content_get_without_parameters_lists_human_sops(sops_api: ActingClient) -> None:
    """The seed guide's Phase 5.3 system test reads the bare path as the SOP list (was 400)."""
    bare = sops_api.get("/api/content-db")
    assert bare.status_code == 200
    assert [s["sopId"] for s in bare.json()["sops"]] == [
        s["sopId"] for s in sops_api.get("/api/content-db", params={"all": "true"}).json()["sops"]
    ]
    assert len(bare.json()["sops"]) == 5


def test_content_get_errors(sops_api: ActingClient) -> None:
    empty_id = sops_api.get("/api/content-db", params={"sopId": ""})
    assert assert_envelope(empty_id, 400)["error"] == "Missing sopId parameter"
    bad_type = sops_api.get("/api/content-db", params={"sopId": "SOP-001", "type": "x"})
    assert assert_envelope(bad_type, 400)["error"] == "Invalid type parameter"
    missing = sops_api.get("/api/content-db", params={"sopId": "SOP-404"})
    assert assert_envelope(missing, 404, "NOT_FOUND")["error"] == "SOP not found"
    listing = sops_api.get("/api/content-db", params={"all": "true", "type": "x"})
    assert_envelope(listing, 400)


def test_files_db(sops_api: ActingClient) -> None:
    files = sops_api.get("/api/files-db").json()
    assert files["files"][2] == "SOP-003 - Design and Plan"
    assert files["sops"][2] == {
        "id": "SOP-003",
        "filename": "SOP-003 - Design and Plan",
        "title": "Design and Plan",
        "phase": 3,
    }
    assert sops_api.get("/api/files-db", params={"type": "markdown"}).json() == files
    agents = sops_api.get("/api/files-db", params={"type": "agent"}).json()["sops"]
    assert set(agents[0]) == {"id", "title", "phase", "summary", "keywords"}
    assert (
        assert_envelope(sops_api.get("/api/files-db", params={"type": "pdf"}), 400)["error"]
        == "Invalid type parameter"
    )


def test_d9_edit_raises_version_by_exactly_one_and_records_history(
    sops_api: ActingClient, fixtures_dir: Path
) -> None:
    markdown = sop_markdown(fixtures_dir, 2) + "\n- Kick-off checklist"
    response = _edit(sops_api, "SOP-002", markdown)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "success",
        "sop",
        "agentSOPRegenerated",
        "agentSOPVersion",
        "regenerationWarnings",
    }
    assert body["sop"]["version"] == 2 and body["agentSOPVersion"] == 2
    assert body["agentSOPRegenerated"] is True
    versions = sops_api.get("/api/sops/SOP-002/versions").json()["versions"]
    assert [(v["version"], v["changeType"], v["changedBy"]) for v in versions] == [
        (2, "update", "admin@example.org"), (1, "create", "system"),
    ]  # fmt: skip
    agent_versions = sops_api.get("/api/sops/SOP-002/versions", params={"type": "agent"}).json()
    assert [v["changeType"] for v in agent_versions["versions"]] == ["regenerate", "create"]


def test_d10_title_rederived_from_h1_without_prefix(
    sops_api: ActingClient, fixtures_dir: Path
) -> None:
    markdown = sop_markdown(fixtures_dir, 3).replace(
        "Design and Plan", "Design, Plan and Baseline", 1
    )
    body = _edit(sops_api, "SOP-003", markdown).json()
    assert body["sop"]["title"] == "Design, Plan and Baseline"
    agent = sops_api.get("/api/content-db", params={"sopId": "SOP-003", "type": "agent"}).json()
    assert agent["title"] == "Design, Plan and Baseline"


def test_d12_edit_keeps_roles_in_agent_sop(sops_api: ActingClient, fixtures_dir: Path) -> None:
    _edit(sops_api, "SOP-004", sop_markdown(fixtures_dir, 4) + "\n- Burndown chart")
    agent = sops_api.get("/api/content-db", params={"sopId": "SOP-004", "type": "agent"}).json()
    roles = agent["content"]["sections"]["rolesResponsibilities"]
    assert [r["role"] for r in roles] == ["Project Manager", "Team Members", "PMO", "Sponsors"]
    assert agent["phase"] == 4


def test_d13_invalid_edit_saves_nothing(sops_api: ActingClient, db_url: DatabaseUrl) -> None:
    response = _edit(sops_api, "SOP-001", "no heading, no objective, nothing")
    body = assert_envelope(response, 422, "INVALID_INPUT")
    assert "SOP must include key activities or tasks" in body["details"]["errors"]
    assert "SOP must include key activities or tasks" in body["error"]
    with psycopg.connect(db_url.raw) as conn:
        row = conn.execute(
            "SELECT version, data->>'markdownContent' FROM human_sops WHERE sop_id='SOP-001'"
        ).fetchone()
        count = conn.execute(
            "SELECT count(*) FROM sop_version_histories WHERE sop_id='SOP-001'"
        ).fetchone()
    assert row is not None and row[0] == 1 and row[1].startswith("# PMO SOP")
    assert count is not None and count[0] == 2  # only the create entries


def test_d13_failing_passage_index_rolls_back_the_edit(
    sops_api: ActingClient, fixtures_dir: Path, db_url: DatabaseUrl
) -> None:
    """The chat's passage index is rebuilt in the edit's transaction: when that write fails
    (a trigger refuses it here), the human and agent SOP edits roll back with it."""
    with psycopg.connect(db_url.raw, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION refuse_passage() RETURNS trigger LANGUAGE plpgsql AS"
            " $$BEGIN RAISE EXCEPTION 'passage index down'; END$$"
        )
        conn.execute(
            "CREATE TRIGGER refuse_passage BEFORE INSERT ON sop_passages"
            " FOR EACH ROW EXECUTE FUNCTION refuse_passage()"
        )
    response = _edit(sops_api, "SOP-002", sop_markdown(fixtures_dir, 2) + "\n- x")
    assert_envelope(response, 500, "STORAGE_ERROR")
    assert sops_api.get("/api/content-db", params={"sopId": "SOP-002"}).json()["version"] == 1


def test_edit_reindexes_that_sop_in_the_same_request(
    sops_api: ActingClient, fixtures_dir: Path, db_url: DatabaseUrl
) -> None:
    _edit(sops_api, "SOP-005", sop_markdown(fixtures_dir, 5) + "\n- Zebra crossing audit")
    with psycopg.connect(db_url.raw) as conn:
        rows = conn.execute(
            "SELECT sop_id FROM sop_passages WHERE body LIKE '%Zebra crossing audit%'"
        ).fetchall()
    assert {row[0] for row in rows} == {"SOP-005"}


def test_content_put_errors_and_authorization(sops_api: ActingClient) -> None:
    missing = sops_api.put("/api/content-db", json={"sopId": "SOP-001", "type": "human"})
    assert assert_envelope(missing, 400)["error"] == "Missing required fields"
    wrong_type = sops_api.put(
        "/api/content-db", json={"sopId": "SOP-001", "markdownContent": "x", "type": "agent"}
    )
    assert_envelope(wrong_type, 400)
    assert assert_envelope(_edit(sops_api, "SOP-404", "# x"), 404)["error"] == "SOP not found"
    assert_envelope(_edit(sops_api.as_(ANONYMOUS), "SOP-001", "# x"), 401, "UNAUTHORIZED")
    assert_envelope(_edit(sops_api.as_(USER), "SOP-001", "# x"), 403, "FORBIDDEN")


def test_content_post_creates_sop_with_next_id(sops_api: ActingClient, fixtures_dir: Path) -> None:
    markdown = sop_markdown(fixtures_dir, 3).replace(
        "# PMO SOP – Design and Plan", "# PMO SOP – Vendor Onboarding"
    )
    created = sops_api.post("/api/content-db", json={"markdownContent": markdown, "phase": 3})
    assert created.status_code == 201, created.text
    assert created.json()["sop"]["sopId"] == "SOP-006"
    assert created.json()["sop"]["title"] == "Vendor Onboarding"
    agent = sops_api.get("/api/content-db", params={"sopId": "SOP-006", "type": "agent"}).json()
    assert agent["phase"] == 3
    no_phase = sops_api.post("/api/content-db", json={"markdownContent": markdown})
    assert_envelope(no_phase, 422)
    duplicate = sops_api.post(
        "/api/content-db", json={"markdownContent": markdown, "sopId": "SOP-001"}
    )
    assert_envelope(duplicate, 409, "CONFLICT")


def test_regenerate_route(sops_api: ActingClient) -> None:
    one = sops_api.post("/api/sops/regenerate", json={"sopId": "SOP-001"}).json()
    assert one["success"] is True and one["agentSOPVersion"] == 2
    assert one["message"] == "AgentSOP SOP-001 regenerated successfully (v2)"
    missing = sops_api.post("/api/sops/regenerate", json={"sopId": "SOP-404"})
    assert missing.status_code == 200 and missing.json()["success"] is False
    every = sops_api.post("/api/sops/regenerate", json={"regenerateAll": True}).json()
    assert every["message"] == "Regenerated 5 out of 5 SOPs"
    assert every["details"]["successful"] == 5 and every["details"]["failed"] == 0
    neither = sops_api.post("/api/sops/regenerate", json={})
    assert assert_envelope(neither, 400)["error"] == "Missing sopId or regenerateAll parameter"
    assert_envelope(
        sops_api.as_(ANONYMOUS).post("/api/sops/regenerate", json={"sopId": "SOP-001"}), 401
    )


def test_versions_view_diff_rollback(sops_api: ActingClient, fixtures_dir: Path) -> None:
    original = sop_markdown(fixtures_dir, 1)
    _edit(sops_api, "SOP-001", original + "\n- Value Canvas")
    view = sops_api.get("/api/sops/SOP-001/versions/1").json()["version"]
    assert view["content"]["markdownContent"] == original
    diff = sops_api.get("/api/sops/SOP-001/diff", params={"from": 1, "to": 2}).json()["diff"]
    assert "+- Value Canvas" in diff and diff.startswith("--- SOP-001 v1")
    rolled = sops_api.post("/api/sops/SOP-001/rollback", json={"version": 1})
    assert rolled.json()["sop"]["version"] == 3
    now = sops_api.get("/api/content-db", params={"sopId": "SOP-001"}).json()
    assert now["content"] == original and now["version"] == 3
    history = sops_api.get("/api/sops/SOP-001/versions").json()["versions"]
    assert (
        history[0]["changeType"] == "rollback"
        and history[0]["changeReason"] == "Rolled back to version 1"
    )
    assert_envelope(sops_api.get("/api/sops/SOP-001/versions/99"), 404)
    assert_envelope(sops_api.post("/api/sops/SOP-001/rollback", json={"version": 99}), 404)
    assert_envelope(sops_api.post("/api/sops/SOP-001/rollback", json={"version": "one"}), 422)
    assert_envelope(sops_api.get("/api/sops/SOP-001/diff", params={"from": 1}), 422)
    assert_envelope(sops_api.get("/api/sops/SOP-001/versions", params={"type": "robot"}), 422)
    assert_envelope(sops_api.get("/api/sops/SOP-404/versions"), 404)


def test_d39_bad_bodies_are_not_500(sops_api: ActingClient) -> None:
    raw = sops_api.put(
        "/api/content-db", content=b"{", headers={"content-type": "application/json"}
    )
    assert_envelope(raw, 422)
    typed = sops_api.put(
        "/api/content-db", json={"sopId": ["SOP-001"], "markdownContent": "x", "type": "human"}
    )
    assert_envelope(typed, 422)


@pytest.mark.slow
def test_d9_twenty_parallel_edits_lose_nothing(sops_api: ActingClient, fixtures_dir: Path) -> None:
    base = sop_markdown(fixtures_dir, 3)
    statuses: list[int] = []

    def edit(index: int) -> None:
        statuses.append(_edit(sops_api, "SOP-003", base + f"\n- Parallel item {index}").status_code)  # type: ignore[attr-defined]

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 20
    versions = sops_api.get("/api/sops/SOP-003/versions").json()["versions"]
    assert sorted(v["version"] for v in versions) == list(range(1, 22))
    recorded = set()
    for version in range(2, 22):
        content = sops_api.get(f"/api/sops/SOP-003/versions/{version}").json()["version"]["content"]
        recorded.add(content["markdownContent"].rsplit("Parallel item ", 1)[1])
    assert recorded == {str(i) for i in range(20)}
    agent = sops_api.get("/api/sops/SOP-003/versions", params={"type": "agent"}).json()
    assert sorted(v["version"] for v in agent["versions"]) == list(range(1, 22))


def test_malformed_json_body_is_one_clear_sentence(sops_api: ActingClient) -> None:
    """A body that is not JSON answered "Invalid request: 0: JSON decode error"."""
    response = sops_api.put(
        "/api/content-db",
        content=b'{"sopId": "SOP-001",',
        headers={"content-type": "application/json"},
    )
    body = assert_envelope(response, 422, "INVALID_INPUT")  # the stable code of every 422
    assert body["error"].startswith("The request body is not valid JSON: ")
    assert "at character" in body["error"]
    assert "0:" not in body["error"] and "decode error" not in body["error"]
