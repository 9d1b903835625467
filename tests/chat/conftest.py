"""Fixtures of the chat tests: a migrated database holding the five real agent SOPs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pmo_playbook.db.url import DatabaseUrl
from tests.chat.sops import agent_sop_documents, insert_agent_sops


@pytest.fixture
def sop_db_url(db_url: DatabaseUrl, fixtures_dir: Path) -> DatabaseUrl:
    """A fresh database with SOP-001 … SOP-005 parsed from ../shared/fixtures/sop-markdown."""
    with psycopg.connect(db_url.raw) as conn:
        insert_agent_sops(conn, agent_sop_documents(fixtures_dir))
    return db_url


@pytest.fixture
def sconn(sop_db_url: DatabaseUrl) -> Iterator[psycopg.Connection[Any]]:
    """A connection to the SOP database for retrieval tests (rolled back afterwards)."""
    with psycopg.connect(sop_db_url.raw) as conn:
        yield conn
        conn.rollback()
