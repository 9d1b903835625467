"""Fixtures of the SOP/project/proposal API tests: an app client acting as a chosen user,
and the five real SOP markdown files loaded through the application's own create path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.services.actor import SYSTEM, Actor, Permission, Role
from pmo_playbook.services.sops import create_sop
from pmo_playbook.web.deps import get_actor
from tests.support.app import app_client

ADMIN = Actor(user_id="u-admin", display="admin@example.org", role=Role.ADMIN)
EDITOR = Actor(
    user_id="u-editor",
    display="editor@example.org",
    role=Role.USER,
    permissions=frozenset({Permission.EDIT_SOPS, Permission.CREATE_PROPOSALS}),
)
USER = Actor(
    user_id="u-user",
    display="user@example.org",
    role=Role.USER,
    permissions=frozenset({Permission.CREATE_PROPOSALS}),
)
ANONYMOUS = Actor(user_id=None, display="anonymous")

SOP_FILES = [
    "01 Pre-Initiate.md",
    "02 Initiate-Phase.md",
    "03 Design-and-plan.md",
    "04 Implement-and-control.md",
    "05 close-realize-benefits.md",
]


def sop_markdown(fixtures_dir: Path, number: int) -> str:
    return (fixtures_dir / "sop-markdown" / SOP_FILES[number - 1]).read_text(encoding="utf-8")


def load_real_sops(url: DatabaseUrl, fixtures_dir: Path) -> None:
    """SOP-001..005 from the real markdown, created by the application's service."""
    with psycopg.connect(url.raw) as conn:
        for number in range(1, 6):
            body = {
                "sopId": f"SOP-00{number}",
                "markdownContent": sop_markdown(fixtures_dir, number),
            }
            create_sop(conn, SYSTEM, body)


class ActingClient:
    """A TestClient plus a switch for who is acting."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.actor: Actor = ADMIN
        client.app.dependency_overrides[get_actor] = lambda: self.actor  # type: ignore[attr-defined]

    def as_(self, actor: Actor) -> ActingClient:
        self.actor = actor
        return self

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@pytest.fixture
def api(db_url: DatabaseUrl, tmp_path: Path) -> Iterator[ActingClient]:
    """An app over a fresh database, acting as an admin unless switched."""
    with app_client(db_url, tmp_path) as client:
        yield ActingClient(client)


@pytest.fixture
def sops_api(db_url: DatabaseUrl, tmp_path: Path, fixtures_dir: Path) -> Iterator[ActingClient]:
    """Like `api`, with the five real SOPs loaded."""
    load_real_sops(db_url, fixtures_dir)
    with app_client(db_url, tmp_path) as client:
        yield ActingClient(client)


def assert_envelope(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The error envelope: {"error": str, "code": str, "details": dict}."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "code", "details"}
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["details"], dict)
    if code:
        assert body["code"] == code
    return body
