"""Shared steps of the API and page login/logout: authenticate, open/close the session, cookies."""

from __future__ import annotations

from typing import Any

import psycopg
from starlette.requests import HTTPConnection
from starlette.responses import Response

from pmo_playbook.config import Settings
from pmo_playbook.services.auth import (
    LoginOutcome,
    LoginPolicy,
    LoginStatus,
    authenticate,
    end_session,
    reserve_login_attempt,
    start_session,
)
from pmo_playbook.web.auth.context import context_of
from pmo_playbook.web.auth.cookies import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    VISITOR_MAX_AGE,
    cookie_secure,
    set_cookie,
)
from pmo_playbook.web.auth.cross_site import refuse_cross_site
from pmo_playbook.web.auth.csrf import csrf_token_for
from pmo_playbook.web.auth.middleware import secret_of
from pmo_playbook.web.client_address import client_address


def client_ip(conn: HTTPConnection) -> str:
    """The client address (X-Forwarded-For only from PMO_TRUSTED_PROXIES)."""
    settings: Settings = conn.app.state.settings
    return client_address(conn, settings.trusted_proxies)


def attempt_login(
    conn: psycopg.Connection[Any], request: HTTPConnection, email: str, password: str
) -> tuple[LoginOutcome, str | None]:
    """Authenticate; on success end the previous session and open a new one (fixation-safe).

    Returns the outcome and the raw new session id. A cross-site login is refused (403) before
    any credential is looked at (`cross_site.py`). The attempt is counted and committed before
    the password is checked (parallel guesses share one limit)."""
    refuse_cross_site(request)
    settings: Settings = request.app.state.settings
    policy = LoginPolicy.from_settings(settings)
    address = client_ip(request)
    allowed = reserve_login_attempt(conn, email, address, policy)
    conn.commit()  # the edge's transaction: the count must be visible before the slow check
    if not allowed:
        return LoginOutcome(LoginStatus.LOCKED), None
    outcome = authenticate(conn, email, password, address, policy)
    if outcome.status is not LoginStatus.OK or outcome.user is None:
        return outcome, None
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        end_session(conn, previous)
    return outcome, start_session(conn, outcome.user, settings.session_max_age_seconds)


def session_csrf(request: HTTPConnection, raw_session: str) -> str:
    """The CSRF token that goes with a new login session."""
    settings: Settings = request.app.state.settings
    return csrf_token_for(secret_of(request.app, settings), "session", raw_session)


def set_session_cookies(request: HTTPConnection, response: Response, raw_session: str) -> None:
    """Write the session cookie (HttpOnly) and its CSRF cookie (readable by scripts)."""
    settings: Settings = request.app.state.settings
    secure = cookie_secure(request, settings.session_cookie_secure)
    set_cookie(
        response,
        SESSION_COOKIE,
        raw_session,
        max_age=settings.session_max_age_seconds,
        secure=secure,
    )
    token = session_csrf(request, raw_session)
    set_cookie(
        response, CSRF_COOKIE, token, max_age=VISITOR_MAX_AGE, secure=secure, http_only=False
    )


def logout(conn: psycopg.Connection[Any], request: HTTPConnection, response: Response) -> None:
    """End the cookie's login session and clear the cookie (a Bearer token is left alone)."""
    settings: Settings = request.app.state.settings
    ctx = context_of(request)
    raw = ctx.session_cookie if ctx else request.cookies.get(SESSION_COOKIE)
    if raw:
        end_session(conn, raw)
    secure = cookie_secure(request, settings.session_cookie_secure)
    set_cookie(response, SESSION_COOKIE, "", max_age=0, secure=secure)
    set_cookie(response, CSRF_COOKIE, "", max_age=0, secure=secure, http_only=False)
