"""One regression test per defect that probing the running app found (hostile input)."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient
from httpx import Response

from pmo_playbook.db.url import DatabaseUrl
from tests.e2e.sops.conftest import assert_envelope, sop_markdown

PROJECT = {
    "projectName": "Hostile",
    "sponsor": "S",
    "businessCaseSummary": "b",
    "resourceRequirements": "r",
}


def _new_project_id(admin: TestClient) -> str:
    created = admin.post("/api/projects", json=PROJECT)
    assert created.status_code == 201, created.text
    return str(created.json()["project"]["projectId"])


def test_oversized_project_id_is_refused_and_allocation_keeps_working(admin: TestClient) -> None:
    for bad in ("PRO-" + "1" * 5000, "PRO-9999999999", "PRO-١٢٣", "PRO-12", "PRO-123\n"):
        body = assert_envelope(admin.post("/api/projects", json={**PROJECT, "projectId": bad}), 422)
        assert body["details"]["field"] == "projectId"
        assert len(body["error"]) < 200
    assert _new_project_id(admin).startswith("PRO-")


def test_oversized_sop_id_is_refused_and_allocation_keeps_working(
    admin: TestClient, fixtures_dir: Path
) -> None:
    for bad in ("SOP-99999999999999999999", "SOP-" + "9" * 5000):
        response = admin.post("/api/content-db", json={"sopId": bad, "markdownContent": "# x"})
        assert assert_envelope(response, 422)["details"]["field"] == "sopId"
    markdown = sop_markdown(fixtures_dir, 2)
    created = admin.post("/api/content-db", json={"markdownContent": markdown, "phase": 2})
    assert created.status_code == 201, created.text


def test_stored_huge_ids_never_block_allocation(admin: TestClient, demo_url: DatabaseUrl) -> None:
    # What an old build let through, or a migrated document carries: the schema allows it.
    with psycopg.connect(demo_url.raw) as conn:
        for pid in ("PRO-" + "1" * 500, "PRO-99999999999999999999", "PRO-999999999"):
            conn.execute("INSERT INTO projects (project_id, data) VALUES (%s, '{}'::jsonb)", (pid,))
    first, second = _new_project_id(admin), _new_project_id(admin)
    assert first != second
    assert all(len(pid) <= 13 for pid in (first, second))
    delete = admin.delete("/api/projects/PRO-999999999")
    assert delete.status_code == 200
    assert _new_project_id(admin) not in (first, second)


def test_explicit_nine_digit_id_is_accepted_and_allocation_skips_past_it(
    admin: TestClient,
) -> None:
    top = admin.post("/api/projects", json={**PROJECT, "projectId": "PRO-999999999"})
    assert top.status_code == 201, top.text
    assert _new_project_id(admin) != "PRO-999999999"


def _raw_json(client: TestClient, method: str, path: str, body: object) -> Response:
    """Send `body` as JSON with lone surrogates escaped (httpx refuses to encode them)."""
    headers = {"content-type": "application/json"}
    return client.request(method, path, content=json.dumps(body), headers=headers)


def test_nul_and_surrogates_are_422_naming_the_field(client: TestClient, admin: TestClient) -> None:
    cases = [
        (client.get("/api/projects/PRO-001%00"), "path"),
        (client.get("/api/proposals?sopId=a%00b"), "query.sopId"),
        (admin.put("/api/projects/PRO-001", json={"sponsor": "a\u0000b"}), "sponsor"),
        (
            _raw_json(admin, "POST", "/api/projects", {**PROJECT, "projectName": "\udc00"}),
            "projectName",
        ),
        (
            admin.post(
                "/api/projects",
                json={
                    **PROJECT,
                    "keyDatesMilestones": [{"date": "2025-01-01", "description": "x\u0000"}],
                },
            ),
            "keyDatesMilestones[0].description",
        ),
        (
            _raw_json(
                admin, "POST", "/api/proposals", {"sopId": "SOP-001", "triggerQuery": "\ud800"}
            ),
            "triggerQuery",
        ),
        (client.post("/chat/ask", data={"message": "a\x00b"}), "form.message"),
    ]
    for response, field in cases:
        body = assert_envelope(response, 422, "INVALID_INPUT")
        assert body["details"]["field"] == field, body


def test_broken_multipart_is_400_and_the_connection_stays_usable(client: TestClient) -> None:
    many = "&".join(f"f{i}=x" for i in range(1001))
    cases = [
        ("/api/chat", {"content-type": "multipart/form-data"}, b"--x\r\n"),
        ("/chat/ask", {"content-type": "multipart/form-data"}, b"garbage"),
        ("/chat/ask", {"content-type": "application/x-www-form-urlencoded"}, many.encode()),
    ]
    for path, headers, content in cases:
        assert_envelope(client.post(path, headers=headers, content=content), 400, "BAD_REQUEST")
    empty_boundary = {"content-type": "multipart/form-data; boundary="}
    for path in ("/api/chat", "/chat/ask", "/api/projects"):
        response = client.post(path, headers=empty_boundary, content=b"--\r\n")
        assert 400 <= response.status_code < 500
        assert set(response.json()) == {"error", "code", "details"}
    assert client.get("/healthz").status_code == 200


def test_out_of_range_numbers_and_dates_are_4xx(client: TestClient, admin: TestClient) -> None:
    assert_envelope(client.get("/api/proposals?skip=9223372036854775808"), 422)
    milestone = {"date": "0001-01-01T00:00:00+14:00", "description": "too early"}
    response = admin.post("/api/projects", json={**PROJECT, "keyDatesMilestones": [milestone]})
    assert_envelope(response, 422)
    huge = b'{"projectName": "x", "sponsor": "y", "phase": 1' + b"9" * 5000 + b"}"
    response = admin.post(
        "/api/projects", content=huge, headers={"content-type": "application/json"}
    )
    assert_envelope(response, 422)
    assert_envelope(
        admin.post("/api/content-db", json={"markdownContent": "x", "phase": 2**70}), 422
    )


def test_chunked_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks() -> object:
        for _ in range(40):
            yield b"x" * 50_000  # 2 MB, no content-length: chunked

    response = client.post(
        "/api/chat", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")
    assert client.get("/healthz").status_code == 200


def test_trace_and_unknown_methods_are_405_with_allow(client: TestClient) -> None:
    for method in ("TRACE", "PURGE"):
        client.cookies.clear()  # cookieless: no CSRF check stands in front of the router
        response = client.request(method, "/api/projects")
        assert_envelope(response, 405)
        assert set(response.headers["allow"].split(", ")) >= {"GET", "POST"}
    page = client.request("TRACE", "/login")
    assert page.status_code == 405 and "POST" in page.headers["allow"]


def test_login_from_another_site_is_refused(client: TestClient) -> None:
    form = {"email": "admin@example.org", "password": "whatever", "next": "/"}
    evil = client.post("/login", data=form, headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403 and "pmo_session" not in evil.headers.get("set-cookie", "")
    client.cookies.clear()
    fetch = client.post("/login", data=form, headers={"Sec-Fetch-Site": "cross-site"})
    assert fetch.status_code == 403


def test_rollback_to_an_out_of_range_version_is_422(admin: TestClient) -> None:
    # Found by the random-seed contract run: a version past the integer column was a 500.
    for version in (235893844375551082496000, 2**31, 0, -1):
        response = admin.post("/api/sops/SOP-001/rollback", json={"version": version})
        assert_envelope(response, 422)


def test_proposal_action_that_is_not_a_string_is_the_legacy_400(admin: TestClient) -> None:
    """An object or array `action` (unhashable) was a 500 from the transition lookup."""
    proposal_id = admin.get("/api/proposals").json()["proposals"][0]["proposalId"]
    for action in ({}, [], ["approve"]):
        response = admin.patch(f"/api/proposals/{proposal_id}", json={"action": action})
        body = assert_envelope(response, 400)
        assert body["error"].startswith("Invalid action")
