"""`create_app(settings)`: the FastAPI application, assembled in this one place.

Everything the app consists of is listed here: the JSON routers (auth included), the HTML pages
and static files, the error handlers and the middleware stack. Nothing
registers itself at import time. Nothing connects at import or creation time either: the pool is
created closed and opened in the lifespan (or handed in by the CLI or a test).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from psycopg_pool import ConnectionPool

from pmo_playbook import __version__
from pmo_playbook.config import Settings, load_settings
from pmo_playbook.db.embedded import resolve_database_url
from pmo_playbook.db.pool import create_pool
from pmo_playbook.web.api import api_routers
from pmo_playbook.web.api.contract import install_contract
from pmo_playbook.web.auth.middleware import AuthMiddleware
from pmo_playbook.web.edge import install_edge
from pmo_playbook.web.errors import install_error_handlers
from pmo_playbook.web.middleware import BodySizeLimitMiddleware, RequestIdMiddleware
from pmo_playbook.web.pages import install_pages
from pmo_playbook.web.request_db import ConnectionGate, RequestConnectionMiddleware


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
        app.state.gate = ConnectionGate(active, settings.db_pool_timeout)
        app.state.gate.start()
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
    for router in api_routers():  # the JSON API, /api/auth included
        app.include_router(router)
    install_pages(app, settings)  # HTML pages (login included), /static, the HTML error pages
    install_contract(app)  # the OpenAPI document states what the lenient legacy routes need
    # Middleware, innermost first: the auth edge needs the request's connection holder; hostile
    # input is refused (install_edge) before a pooled connection is taken, inside the body-size
    # limit; the request id must be on every response, 413s and 503s included.
    app.add_middleware(AuthMiddleware, settings=settings)
    app.add_middleware(RequestConnectionMiddleware)
    install_edge(app)  # after every error handler is installed (it wraps them)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware)
    return app
