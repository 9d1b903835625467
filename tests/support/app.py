"""An application client over a real PostgreSQL database (FastAPI TestClient runs the lifespan)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from pmo_playbook.config import Settings
from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.web.app import create_app


def settings_for(url: DatabaseUrl, tmp_path: Path, **overrides: object) -> Settings:
    """Settings pointing at a test database."""
    values: dict[str, object] = {"DATABASE_URL": url.raw, "PMO_DATA_DIR": str(tmp_path / "data")}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@contextmanager
def app_client(url: DatabaseUrl, tmp_path: Path, **overrides: object) -> Iterator[TestClient]:
    """A TestClient whose app uses `url`; raise_server_exceptions off so 500s are observable."""
    app = create_app(settings_for(url, tmp_path, **overrides))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
