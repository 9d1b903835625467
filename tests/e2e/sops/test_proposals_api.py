"""Change proposals API (legacy §2.9) with D14, D15, D19, D22, D36 fixed."""

from __future__ import annotations

import threading
from typing import Any

import psycopg

from tests.e2e.sops.conftest import ANONYMOUS, USER, ActingClient, assert_envelope

CHANGE = {
    "section": "Deliverables",
    "originalContent": "",
    "suggestedContent": "- Stakeholder Map",
    "rationale": "Users keep asking for it",
    "changeType": "addition",
}


def _create(api: ActingClient, **overrides: Any) -> Any:
    body = {
        "sopId": "SOP-002",
        "triggerQuery": "Where is the stakeholder map?",
        "proposedChange": CHANGE,
    }
    body.update(overrides)
    return api.post("/api/proposals", json=body)


def test_proposals_create_list_get_shape(sops_api: ActingClient) -> None:
    created = _create(sops_api)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["isUpdate"] is False and body["similarCount"] == 0
    proposal = body["proposal"]
    assert proposal["proposalId"].startswith("PROP-")
    assert proposal["status"] == "pending_review"
    assert proposal["reviewHistory"][0]["action"] == "submitted"
    assert proposal["reviewHistory"][0]["performedBy"] == "admin@example.org"
    assert proposal["tags"] == ["deliverables", "addition", "deliverable"]
    assert proposal["humanSopId"]["title"] == "Initiation Phase"
    listed = sops_api.get("/api/proposals").json()
    assert listed["pagination"] == {"total": 1, "limit": 50, "skip": 0, "hasMore": False}
    one = sops_api.get(f"/api/proposals/{proposal['proposalId']}").json()["proposal"]
    assert one["humanSopId"]["version"] == 1
    assert one["humanSopId"]["markdownContent"].startswith("# PMO SOP – Initiation Phase")


def test_proposals_errors(sops_api: ActingClient) -> None:
    missing = sops_api.post("/api/proposals", json={"sopId": "SOP-002"})
    body = assert_envelope(missing, 400)
    assert body["error"] == "Missing required fields: sopId, triggerQuery, proposedChange"
    assert (
        assert_envelope(_create(sops_api, sopId="SOP-009"), 404)["error"] == "SOP SOP-009 not found"
    )
    assert_envelope(_create(sops_api, priority="urgent"), 422, "INVALID_INPUT")
    assert_envelope(_create(sops_api, metrics={"confidenceScore": 2}), 422)
    assert_envelope(sops_api.get("/api/proposals/PROP-nope"), 404)
    assert_envelope(sops_api.patch("/api/proposals/PROP-nope", json={"action": "approve"}), 404)
    pid = _create(sops_api).json()["proposal"]["proposalId"]
    bad = sops_api.patch(f"/api/proposals/{pid}", json={"action": "explode"})
    assert assert_envelope(bad, 400)["error"].startswith("Invalid action")
    no_reason = sops_api.patch(f"/api/proposals/{pid}", json={"action": "reject"})
    assert assert_envelope(no_reason, 400)["error"] == "Rejection reason is required"
    malformed = sops_api.post(
        "/api/proposals", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_envelope(malformed, 422)


def test_proposals_authorization(sops_api: ActingClient) -> None:
    assert_envelope(sops_api.as_(ANONYMOUS).get("/api/proposals"), 401)
    assert_envelope(_create(sops_api.as_(ANONYMOUS)), 401)
    created = _create(sops_api.as_(USER))
    assert created.status_code == 201
    assert created.json()["proposal"]["reviewHistory"][0]["performedBy"] == "user@example.org"
    pid = created.json()["proposal"]["proposalId"]
    assert_envelope(
        sops_api.as_(USER).patch(f"/api/proposals/{pid}", json={"action": "approve"}), 403
    )


def test_d5_proposals_limit_and_skip_validated(sops_api: ActingClient) -> None:
    for params in ({"limit": "abc"}, {"limit": 0}, {"limit": 501}, {"skip": -1}, {"skip": "x"}):
        assert_envelope(sops_api.get("/api/proposals", params=params), 422, "INVALID_INPUT")
    assert sops_api.get("/api/proposals", params={"limit": 500, "skip": 0}).status_code == 200


def test_d14_priority_kept_when_given_computed_when_absent(sops_api: ActingClient) -> None:
    chosen = _create(sops_api, priority="critical").json()["proposal"]
    assert chosen["priority"] == "critical"
    other = dict(CHANGE, section="Tools & Templates")
    computed = _create(sops_api, proposedChange=other, metrics={"confidenceScore": 0.95})
    assert computed.json()["proposal"]["priority"] == "high"  # legacy rule: confidence > 0.9
    low = _create(sops_api, proposedChange=dict(CHANGE, section="Objective"))
    assert low.json()["proposal"]["priority"] == "low"  # default confidence 0.7
    again = _create(sops_api).json()  # dedup bump keeps the chosen priority
    assert again["isUpdate"] is True and again["proposal"]["priority"] == "critical"


def test_d15_state_machine_guards_and_archive(sops_api: ActingClient) -> None:
    pid = _create(sops_api).json()["proposal"]["proposalId"]
    rejected = sops_api.patch(f"/api/proposals/{pid}", json={"action": "reject", "reason": "dup"})
    assert rejected.json()["message"] == "Proposal rejected successfully"
    assert rejected.json()["proposal"]["status"] == "rejected"
    again = sops_api.patch(f"/api/proposals/{pid}", json={"action": "approve"})
    assert assert_envelope(again, 409, "CONFLICT")["details"]["status"] == "rejected"
    archived = sops_api.delete(f"/api/proposals/{pid}")
    assert archived.status_code == 200, archived.text
    assert archived.json()["message"] == "Proposal archived successfully"
    assert archived.json()["proposal"]["status"] == "archived"
    assert archived.json()["proposal"]["reviewHistory"][-1]["action"] == "archived"
    assert_envelope(sops_api.delete(f"/api/proposals/{pid}"), 409)
    other = _create(sops_api, proposedChange=dict(CHANGE, section="Objective")).json()
    oid = other["proposal"]["proposalId"]
    reviewed = sops_api.patch(f"/api/proposals/{oid}", json={"action": "review", "comments": "ok"})
    assert reviewed.json()["message"] == "Proposal reviewed successfully"
    assert reviewed.json()["proposal"]["status"] == "pending_review"
    assert_envelope(sops_api.patch(f"/api/proposals/{oid}", json={"action": "implement"}), 409)
    approved = sops_api.patch(f"/api/proposals/{oid}", json={"action": "approve"})
    assert approved.json()["message"] == "Proposal approved successfully"


def test_d15_implement_applies_change_through_versioning(sops_api: ActingClient) -> None:
    pid = _create(sops_api).json()["proposal"]["proposalId"]
    sops_api.patch(f"/api/proposals/{pid}", json={"action": "approve"})
    done = sops_api.patch(f"/api/proposals/{pid}", json={"action": "implement"})
    assert done.status_code == 200, done.text
    proposal = done.json()["proposal"]
    assert proposal["status"] == "implemented"
    details = proposal["implementationDetails"]
    assert details["newVersion"] == 2 and details["rollbackVersion"] == 1
    assert details["implementedBy"] == "admin@example.org"
    human = sops_api.get("/api/content-db", params={"sopId": "SOP-002"}).json()
    assert human["version"] == 2
    deliverables = human["content"].split("## Deliverables")[1].split("\n## ")[0]
    assert deliverables.rstrip().endswith("- Stakeholder Map")
    agent = sops_api.get("/api/content-db", params={"sopId": "SOP-002", "type": "agent"}).json()
    assert "Stakeholder Map" in agent["content"]["sections"]["deliverables"]
    versions = sops_api.get("/api/sops/SOP-002/versions").json()["versions"]
    assert (
        versions[0]["version"] == 2 and versions[0]["changeReason"] == f"Implements proposal {pid}"
    )


def test_d19_parallel_duplicates_make_one_proposal(sops_api: ActingClient) -> None:
    results: list[int] = []

    def post() -> None:
        results.append(_create(sops_api).status_code)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] * 7 + [201]
    listed = sops_api.get("/api/proposals").json()["proposals"]
    assert len(listed) == 1
    assert listed[0]["metrics"]["affectedUsersCount"] == 8


def test_d22_sorted_by_priority_rank(sops_api: ActingClient) -> None:
    for index, priority in enumerate(["medium", "low", "critical", "high"]):
        change = dict(CHANGE, section=f"Section {index}")
        assert _create(sops_api, proposedChange=change, priority=priority).status_code == 201
    order = [p["priority"] for p in sops_api.get("/api/proposals").json()["proposals"]]
    assert order == ["critical", "high", "medium", "low"]


def test_d36_patch_returns_populated_proposal(sops_api: ActingClient) -> None:
    pid = _create(sops_api).json()["proposal"]["proposalId"]
    approved = sops_api.patch(f"/api/proposals/{pid}", json={"action": "approve"}).json()
    assert approved["proposal"]["humanSopId"]["title"] == "Initiation Phase"
    assert approved["proposal"]["humanSopId"]["version"] == 1


def test_proposals_filters(sops_api: ActingClient, db_url: Any) -> None:
    _create(sops_api)
    _create(sops_api, sopId="SOP-003")
    assert len(sops_api.get("/api/proposals", params={"sopId": "SOP-003"}).json()["proposals"]) == 1
    assert sops_api.get("/api/proposals", params={"status": "approved"}).json()["proposals"] == []
    assert_envelope(sops_api.get("/api/proposals", params={"status": "bogus"}), 422)
    with psycopg.connect(db_url.raw) as conn:
        row = conn.execute(
            "SELECT count(*) FROM change_proposals WHERE status='pending_review'"
        ).fetchone()
    assert row is not None and row[0] == 2
