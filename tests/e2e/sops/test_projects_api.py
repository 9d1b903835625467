"""Projects API (legacy §2.8): CRUD, validations, D7, D16, concurrency, the seed's curl flow."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pmo_playbook.db.url import DatabaseUrl
from tests.e2e.sops.conftest import ANONYMOUS, USER, ActingClient, assert_envelope

LEGACY_KEYS = [
    "_id", "projectId", "projectName", "sponsor", "projectTeam", "keyStakeholders",
    "projectObjectives", "businessCaseSummary", "resourceRequirements", "scopeDeliverables",
    "keyDatesMilestones", "threats", "opportunities", "keyAssumptions", "successCriteria",
    "isActive", "createdAt", "updatedAt",
]  # fmt: skip
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
MINIMAL = {
    "projectName": "Demo",
    "sponsor": "Ann",
    "businessCaseSummary": "Why",
    "resourceRequirements": "Two people",
}


def seed_body(fixtures_dir: Path) -> dict[str, Any]:
    """PRO-001 'Digital Transformation Initiative' of the legacy seed, as a client would POST it."""
    project = json.loads((fixtures_dir / "seed-export" / "projects.json").read_text())[0]
    drop = ("_id", "projectId", "createdAt", "updatedAt", "__v", "createdBy", "lastModifiedBy")
    body = {k: v for k, v in project.items() if k not in drop}
    for milestone in body["keyDatesMilestones"]:
        milestone.pop("_id")
    return body


def test_seed_phase4_curl_flow_create_and_read_back(api: ActingClient, fixtures_dir: Path) -> None:
    body = seed_body(fixtures_dir)
    created = api.post("/api/projects", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["message"] == "Project created successfully"
    brief = created.json()["project"]
    assert set(brief) == {"_id", "projectId", "projectName"}
    assert brief["projectId"] == "PRO-001"
    assert brief["projectName"] == "Digital Transformation Initiative"
    assert re.match(r"^[0-9a-f]{24}$", brief["_id"])
    project = api.get("/api/projects/PRO-001").json()["project"]
    assert list(project) == LEGACY_KEYS
    assert project["sponsor"] == "Sarah Johnson, CTO"
    assert project["projectTeam"] == body["projectTeam"] and len(project["projectTeam"]) == 5
    assert project["keyDatesMilestones"][0]["date"] == "2024-03-01T00:00:00.000Z"
    assert all(re.match(r"^[0-9a-f]{24}$", m["_id"]) for m in project["keyDatesMilestones"])
    assert ISO.match(project["createdAt"]) and project["isActive"] is True
    listed = api.get("/api/projects").json()["projects"]
    assert [p["projectId"] for p in listed] == ["PRO-001"]


def test_projects_required_fields_in_order(api: ActingClient) -> None:
    for missing in MINIMAL:
        body = {k: v for k, v in MINIMAL.items() if k != missing}
        response = api.post("/api/projects", json=body)
        assert assert_envelope(response, 400)["error"] == f"Missing required field: {missing}"
    response = api.post("/api/projects", json={})
    assert response.json()["error"] == "Missing required field: projectName"


def test_projects_validation_is_422(api: ActingClient) -> None:
    cases = [
        {**MINIMAL, "projectName": "x" * 201},
        {**MINIMAL, "sponsor": "y" * 101},
        {**MINIMAL, "projectId": "PRJ-1"},
        {**MINIMAL, "keyDatesMilestones": [{"date": "not a date", "description": "d"}]},
        {**MINIMAL, "keyDatesMilestones": [{"date": "2025-01-01"}]},
        {**MINIMAL, "projectTeam": [{"name": "object"}]},
        {**MINIMAL, "projectName": 42},
    ]
    for body in cases:
        assert_envelope(api.post("/api/projects", json=body), 422, "INVALID_INPUT")
    trimmed = api.post("/api/projects", json={**MINIMAL, "projectName": "  Padded  "})
    assert trimmed.json()["project"]["projectName"] == "Padded"
    coerced = api.post("/api/projects", json={**MINIMAL, "threats": "not an array"})
    pid = coerced.json()["project"]["projectId"]
    assert api.get(f"/api/projects/{pid}").json()["project"]["threats"] == []


def test_projects_update_delete_reactivate(api: ActingClient) -> None:
    pid = api.post("/api/projects", json=MINIMAL).json()["project"]["projectId"]
    updated = api.put(
        f"/api/projects/{pid}",
        json={
            "projectName": "Renamed",
            "projectId": "PRO-999",
            "_id": "x",
            "lastModifiedBy": "mallory",
        },
    )
    assert updated.json() == {
        "message": "Project updated successfully",
        "project": {
            "_id": updated.json()["project"]["_id"],
            "projectId": pid,
            "projectName": "Renamed",
        },
    }
    deleted = api.delete(f"/api/projects/{pid}")
    assert deleted.json() == {"message": "Project deleted successfully", "projectId": pid}
    assert assert_envelope(api.get(f"/api/projects/{pid}"), 404)["error"] == "Project not found"
    assert api.get("/api/projects").json()["projects"] == []
    everything = api.get("/api/projects", params={"active": "false"}).json()["projects"]
    assert [p["isActive"] for p in everything] == [False]
    api.put(f"/api/projects/{pid}", json={"isActive": True})
    assert api.get(f"/api/projects/{pid}").json()["project"]["projectName"] == "Renamed"
    assert_envelope(api.put("/api/projects/PRO-404", json={"projectName": "n"}), 404)
    assert_envelope(api.delete("/api/projects/PRO-404"), 404)
    assert_envelope(api.put(f"/api/projects/{pid}", json={"sponsor": ""}), 422)


def test_projects_audit_fields_from_actor(api: ActingClient, db_url: DatabaseUrl) -> None:
    pid = api.post("/api/projects", json={**MINIMAL, "createdBy": "mallory"}).json()["project"][
        "projectId"
    ]
    with psycopg.connect(db_url.raw) as conn:
        row = conn.execute("SELECT data FROM projects WHERE project_id = %s", (pid,)).fetchone()
    assert row is not None
    assert row[0]["createdBy"] == "admin@example.org"
    assert row[0]["lastModifiedBy"] == "admin@example.org"


def test_projects_authorization(api: ActingClient) -> None:
    assert_envelope(api.as_(ANONYMOUS).post("/api/projects", json=MINIMAL), 401)
    assert_envelope(api.as_(USER).post("/api/projects", json=MINIMAL), 403)
    assert api.as_(ANONYMOUS).get("/api/projects").status_code == 200


def test_projects_duplicate_id_is_409(api: ActingClient) -> None:
    assert api.post("/api/projects", json={**MINIMAL, "projectId": "PRO-007"}).status_code == 201
    again = api.post("/api/projects", json={**MINIMAL, "projectId": "PRO-007"})
    assert assert_envelope(again, 409, "CONFLICT")["error"] == "Project ID already exists"
    # the generator continues after the client-supplied id
    assert api.post("/api/projects", json=MINIMAL).json()["project"]["projectId"] == "PRO-008"


def test_projects_summary(api: ActingClient) -> None:
    body = {
        **MINIMAL,
        "projectTeam": ["a", "b", "c"],
        "scopeDeliverables": ["d1", "d2"],
        "keyDatesMilestones": [
            {"date": "2001-01-01", "description": "past"},
            {"date": "2099-05-01T00:00:00Z", "description": "later"},
            {"date": "2098-05-01T00:00:00Z", "description": "next"},
        ],
    }
    pid = api.post("/api/projects", json=body).json()["project"]["projectId"]
    summary = api.get(f"/api/projects/{pid}/summary").json()["summary"]
    assert summary["teamSize"] == 3 and summary["deliverableCount"] == 2
    assert summary["nextMilestone"]["description"] == "next"


def test_d7_errors_do_not_leak_details(api: ActingClient) -> None:
    api.post("/api/projects", json={**MINIMAL, "projectId": "PRO-001"})
    body = api.post("/api/projects", json={**MINIMAL, "projectId": "PRO-001"}).json()
    text = json.dumps(body)
    assert "duplicate key" not in text and "projects_project_id_key" not in text.replace(
        '"constraint": "projects_project_id_key"', ""
    )
    assert "INSERT" not in text and "psycopg" not in text


def test_d16_ids_continue_after_migrated_rows_and_past_999(
    api: ActingClient, db_url: DatabaseUrl
) -> None:
    with psycopg.connect(db_url.raw) as conn:  # rows as the migration toolkit loads them
        for pid in ("PRO-040", "PRO-998"):
            conn.execute(
                "INSERT INTO projects (project_id, legacy_id, data) VALUES (%s, %s, '{}'::jsonb)",
                (pid, pid.lower()),
            )
    first = api.post("/api/projects", json=MINIMAL).json()["project"]["projectId"]
    second = api.post("/api/projects", json=MINIMAL).json()["project"]["projectId"]
    third = api.post("/api/projects", json=MINIMAL).json()["project"]["projectId"]
    assert (first, second, third) == ("PRO-999", "PRO-1000", "PRO-1001")
    assert api.get("/api/projects/PRO-1000").status_code == 200


@pytest.mark.slow
def test_d16_fifty_parallel_creations_get_consecutive_ids(api: ActingClient) -> None:
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def create(index: int) -> None:
        response = api.post("/api/projects", json={**MINIMAL, "projectName": f"P{index}"})
        with lock:
            results.append((response.status_code, response.json()["project"]["projectId"]))

    threads = [threading.Thread(target=create, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [status for status, _ in results] == [201] * 50
    assert sorted(pid for _, pid in results) == [f"PRO-{n:03d}" for n in range(1, 51)]


def test_d39_malformed_body_is_422_not_500(api: ActingClient) -> None:
    raw = api.post("/api/projects", content=b"{oops", headers={"content-type": "application/json"})
    assert_envelope(raw, 422, "INVALID_INPUT")
    array = api.post("/api/projects", json=[1, 2])
    assert_envelope(array, 422)
    milestones = api.post("/api/projects", json={**MINIMAL, "keyDatesMilestones": ["x"]})
    assert_envelope(milestones, 422)
