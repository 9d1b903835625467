"""Chat sessions belong to their owner (D2, D3): two users and two anonymous visitors, each with
real credentials (login cookie + CSRF token, or the signed visitor cookie), against the real
/api/sessions, /api/chat-history and /api/sessions/{id}/thread routes."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pmo_playbook.db.url import DatabaseUrl
from tests.e2e.auth.helpers import csrf_headers, login, make_user
from tests.support.app import app_client


@dataclass
class Party:
    """One browser: its own cookie jar; writes echo its CSRF token."""

    name: str
    client: TestClient

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def write(self, method: str, url: str, **kw: Any) -> Any:
        return self.client.request(method, url, headers=csrf_headers(self.client), **kw)

    def start_session(self, session_id: str) -> None:
        body = {"sessionId": session_id, "message": f"secret of {self.name}", "type": "user"}
        response = self.write("POST", "/api/chat-history", json=body)
        assert response.status_code == 200, response.text


@pytest.fixture
def parties(db_url: DatabaseUrl, tmp_path: Path) -> Any:
    make_user(db_url, "usera@example.com")
    make_user(db_url, "userb@example.com")
    make_user(db_url, "boss@example.com", role="admin")
    with ExitStack() as stack:
        found = {}
        for name in ("userA", "userB", "visitor1", "visitor2", "admin"):
            client = stack.enter_context(app_client(db_url, tmp_path))
            client.get("/api/auth/me")  # visitor cookie + CSRF cookie
            if name.startswith("user"):
                login(client, f"{name.lower()}@example.com")
            elif name == "admin":
                login(client, "boss@example.com")
            found[name] = Party(name, client)
        for name in ("userA", "userB", "visitor1", "visitor2"):
            found[name].start_session(f"session-{name}")
        yield found


OWNERS = ["userA", "userB", "visitor1", "visitor2"]
PAIRS = [(owner, other) for owner in OWNERS for other in OWNERS if owner != other]


def test_d2_sessions_are_invisible_and_untouchable_to_others(parties: dict[str, Party]) -> None:
    for owner, other in PAIRS:  # one set-up for all twelve pairs (failed attempts change nothing)
        _assert_isolated(parties, owner, other)


def _assert_isolated(parties: dict[str, Party], owner: str, other: str) -> None:
    sid = f"session-{owner}"
    intruder = parties[other]
    listed = intruder.get("/api/sessions").json()["sessions"]
    assert [s["sessionId"] for s in listed] == [f"session-{other}"]
    history = intruder.get("/api/chat-history", params={"sessionId": sid}).json()
    assert history["exists"] is False and history["messages"] == []
    assert intruder.get(f"/api/sessions/{sid}/thread").status_code == 404
    renamed = intruder.write("PATCH", "/api/sessions", json={"sessionId": sid, "sessionName": "x"})
    assert renamed.status_code == 404
    deleted = intruder.write("DELETE", "/api/sessions", params={"sessionId": sid})
    assert deleted.status_code == 404
    appended = intruder.write(
        "POST", "/api/chat-history", json={"sessionId": sid, "message": "hi", "type": "user"}
    )
    assert appended.status_code == 404
    active = intruder.write("PATCH", "/api/chat-history").json()["sessions"]
    assert sid not in [s["sessionId"] for s in active]
    mine = parties[owner].get("/api/chat-history", params={"sessionId": sid}).json()
    assert mine["exists"] is True
    assert [m["content"] for m in mine["messages"]] == [f"secret of {owner}"]
    assert mine.get("sessionName") in (None, "")


def test_owner_can_rename_and_delete_own_session(parties: dict[str, Party]) -> None:
    me = parties["visitor1"]
    renamed = me.write(
        "PATCH", "/api/sessions", json={"sessionId": "session-visitor1", "sessionName": "Mine"}
    )
    assert renamed.status_code == 200 and renamed.json()["session"]["sessionName"] == "Mine"
    assert me.write("DELETE", "/api/sessions", params={"sessionId": "session-visitor1"}).json()[
        "success"
    ]
    assert me.get("/api/sessions").json()["sessions"] == []


def test_admin_reads_any_thread_in_the_conversation_viewer(parties: dict[str, Party]) -> None:
    admin = parties["admin"]
    thread = admin.get("/api/sessions/session-visitor2/thread")
    assert thread.status_code == 200
    assert thread.json()["messages"][0]["content"] == "secret of visitor2"
    # ...but the admin's own session list stays the admin's own.
    assert admin.get("/api/sessions").json()["sessions"] == []


INJECTIONS: list[Any] = [{"$gt": ""}, {"$ne": None}, ["session-userA"], {"sessionId": "x"}, 7]


def test_d3_operator_shaped_session_ids_are_422(parties: dict[str, Party]) -> None:
    for shape in INJECTIONS:
        _assert_refused(parties, shape)


def _assert_refused(parties: dict[str, Party], shape: Any) -> None:
    intruder = parties["visitor2"]
    patch = intruder.write("PATCH", "/api/sessions", json={"sessionId": shape, "sessionName": "x"})
    post = intruder.write(
        "POST", "/api/chat-history", json={"sessionId": shape, "message": "m", "type": "user"}
    )
    assert patch.status_code == 422, (shape, patch.text)
    assert post.status_code == 422, (shape, post.text)
    owner = parties["userA"].get("/api/chat-history", params={"sessionId": "session-userA"})
    assert owner.json()["sessionName"] in (None, "")
    assert len(owner.json()["messages"]) == 1


def test_query_string_operator_shapes_do_not_match_other_sessions(
    parties: dict[str, Party],
) -> None:
    intruder = parties["visitor2"]
    bracket = intruder.get("/api/chat-history?sessionId[$ne]=x")
    assert bracket.status_code == 400  # the real sessionId parameter is missing
    literal = intruder.get("/api/chat-history", params={"sessionId": '{"$gt": ""}'}).json()
    assert literal["exists"] is False
    assert intruder.get('/api/sessions/{"$gt":""}/thread').status_code in (404, 422)
