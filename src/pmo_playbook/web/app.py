"""`create_app(settings)`: the FastAPI application (JSON API at the legacy paths, pages, /docs).

Nothing connects at import or creation time: the pool is created closed and opened in the
lifespan (or handed in already configured by a test or the CLI).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from psycopg_pool import ConnectionPool

from pmo_playbook import __version__
from pmo_playbook.config import Settings, load_settings
from pmo_playbook.db.embedded import resolve_database_url
from pmo_playbook.db.pool import create_pool
from pmo_playbook.web.api import api_routers
from pmo_playbook.web.auth import install_auth
from pmo_playbook.web.edge import install_edge
from pmo_playbook.web.errors import install_error_handlers
from pmo_playbook.web.middleware import BodySizeLimitMiddleware, RequestIdMiddleware

# Extension points for later layers (pages, auth): each gets the app after the API is mounted.
AppExtension = Callable[[FastAPI, Settings], None]
_extensions: list[AppExtension] = []


def register_extension(extension: AppExtension) -> None:
    """Let a layer (pages, authentication) add routes or state to every app created."""
    if extension not in _extensions:
        _extensions.append(extension)


register_extension(install_auth)  # authentication is part of every app


def create_app(settings: Settings | None = None, *, pool: ConnectionPool | None = None) -> FastAPI:
    """Build the application. `pool` (unopened or open) overrides the one built from settings."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_pool = app.state.pool is None
        if own_pool:
            app.state.pool = create_pool(resolve_database_url(settings), settings)
        active: ConnectionPool = app.state.pool
        if active.closed:
            active.open(wait=True, timeout=settings.db_connect_timeout)
        try:
            yield
        finally:
            if own_pool:
                active.close()

    app = FastAPI(
        title="PMO Playbook",
        version=__version__,
        description="SOPs, projects, chat and feedback on PostgreSQL (legacy API paths kept).",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.pool = pool
    install_error_handlers(app)
    for router in api_routers():
        app.include_router(router)
    for extension in list(_extensions):
        extension(app, settings)
    install_edge(app)  # after the extensions' handlers, inside the body-size limit
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware)
    return app
