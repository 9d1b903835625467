"""Authentication at the web edge: turns each request into the right `Actor`.

`install_auth` (registered with `web.app.register_extension`) adds the login/logout API and
pages, the auth middleware (credential → Actor, PMO_PUBLIC_READ gate, CSRF, cookies) and sets
`app.state.actor_resolver`, which `web.deps.CurrentActor` calls. Templates get the CSRF token
with `csrf_token(request)`.
"""

from __future__ import annotations

from fastapi import FastAPI

from pmo_playbook.config import Settings
from pmo_playbook.web.auth import pages, routes
from pmo_playbook.web.auth.context import csrf_token, resolve_actor
from pmo_playbook.web.auth.middleware import AuthMiddleware


def install_auth(app: FastAPI, settings: Settings) -> None:
    """Mount the auth routes and middleware on `app` and make it resolve actors."""
    app.include_router(routes.router)
    app.include_router(pages.router)
    app.add_middleware(AuthMiddleware, settings=settings)
    app.state.actor_resolver = resolve_actor


__all__ = ["csrf_token", "install_auth", "resolve_actor"]
