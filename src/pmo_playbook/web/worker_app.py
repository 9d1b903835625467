"""The application of one `pmo serve` worker process, built from the environment.

uvicorn starts each worker in a fresh process and imports the app by name, so the app (and its
pool: one per process, opened in the lifespan) cannot be handed over from the parent. The
parent puts everything it resolved (database URL, pool size per worker) into the environment.
"""

from __future__ import annotations

from fastapi import FastAPI

from pmo_playbook.config import load_settings
from pmo_playbook.web.app import create_app

IMPORT_STRING = "pmo_playbook.web.worker_app:create_worker_app"


def create_worker_app() -> FastAPI:
    """uvicorn's app factory (`factory=True`)."""
    return create_app(load_settings())
