"""Single-statement read endpoints run without a transaction (no BEGIN/COMMIT round trips);
the connection they used must go back to the pool in transaction mode, or the next request
that writes on it would commit statement by statement."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pmo_playbook.db.url import DatabaseUrl
from tests.support.app import app_client

ONE_CONNECTION = {"PMO_DB_POOL_MIN": 1, "PMO_DB_POOL_MAX": 1}


def _lent_connection_autocommit(client: TestClient) -> bool:
    pool = client.app.state.gate.pool  # type: ignore[attr-defined]
    with pool.connection() as conn:
        return bool(conn.autocommit)


@pytest.mark.parametrize(
    "path",
    [
        "/api/projects",
        "/api/projects/PRO-404",  # raises NotFound inside the endpoint
        "/api/content-db?sopId=SOP-404&type=human",
        "/api/content-db",
    ],
)
def test_read_endpoint_returns_connection_in_transaction_mode(
    db_url: DatabaseUrl, tmp_path: Path, path: str
) -> None:
    with app_client(db_url, tmp_path, **ONE_CONNECTION) as client:
        answer = client.get(path)
        assert answer.status_code in (200, 404), answer.text
        assert _lent_connection_autocommit(client) is False
