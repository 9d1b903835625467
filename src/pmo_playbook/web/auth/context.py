"""Who is calling, resolved once per request by the auth middleware and read by routes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg_pool import ConnectionPool
from starlette.requests import HTTPConnection

from pmo_playbook.services.actor import Actor
from pmo_playbook.services.auth import actor_for_session, actor_for_token
from pmo_playbook.web.auth.cookies import (
    SESSION_COOKIE,
    VISITOR_COOKIE,
    new_visitor_id,
    sign_visitor,
    unsign_visitor,
)
from pmo_playbook.web.auth.csrf import csrf_token_for

STATE_KEY = "pmo_auth"
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class AuthContext:
    """The request's credential and the Actor it stands for.

    kind: "bearer" (Authorization header), "session" (login cookie) or "visitor" (anonymous).
    `cookie_credential` is True when the browser presented the cookie that authenticates it:
    those are the requests CSRF protection applies to."""

    actor: Actor
    kind: str
    csrf_token: str | None
    cookie_credential: bool
    invalid_bearer: bool = False
    new_visitor_cookie: str | None = None
    stale_session_cookie: bool = False
    session_cookie: str | None = None


def bearer_token(conn: HTTPConnection) -> str | None:
    """The token of an `Authorization: Bearer` header, or None when there is none."""
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def _with_db(pool: ConnectionPool, fn: Any, value: str) -> Actor | None:
    with pool.connection() as db:
        result: Actor | None = fn(db, value)
        return result


def resolve_context(conn: HTTPConnection, pool: ConnectionPool, secret: bytes) -> AuthContext:
    """Bearer token, else login session cookie, else the (signed) visitor cookie."""
    token = bearer_token(conn)
    if token is not None:
        actor = _with_db(pool, actor_for_token, token) if token else None
        if actor is None:
            return AuthContext(_anonymous(None), "bearer", None, False, invalid_bearer=True)
        return AuthContext(actor, "bearer", None, False)
    raw_session = conn.cookies.get(SESSION_COOKIE)
    if raw_session:
        actor = _with_db(pool, actor_for_session, raw_session)
        if actor is not None:
            csrf = csrf_token_for(secret, "session", raw_session)
            return AuthContext(actor, "session", csrf, True, session_cookie=raw_session)
    visitor_id = unsign_visitor(secret, conn.cookies.get(VISITOR_COOKIE, ""))
    new_cookie = None
    if visitor_id is None:
        visitor_id = new_visitor_id()
        new_cookie = sign_visitor(secret, visitor_id)
    return AuthContext(
        _anonymous(visitor_id),
        "visitor",
        csrf_token_for(secret, "visitor", visitor_id),
        cookie_credential=new_cookie is None,
        new_visitor_cookie=new_cookie,
        stale_session_cookie=bool(raw_session),
    )


def _anonymous(visitor_id: str | None) -> Actor:
    return Actor(user_id=None, display=ANONYMOUS, visitor_id=visitor_id)


def context_of(conn: HTTPConnection) -> AuthContext | None:
    """The AuthContext the middleware stored for this request (None when auth is bypassed)."""
    state = conn.scope.get("state") or {}
    found = state.get(STATE_KEY)
    return found if isinstance(found, AuthContext) else None


def resolve_actor(conn: HTTPConnection) -> Actor:
    """`app.state.actor_resolver`: the Actor the middleware resolved (anonymous otherwise)."""
    ctx = context_of(conn)
    return ctx.actor if ctx else _anonymous(None)


def csrf_token(conn: HTTPConnection) -> str:
    """The CSRF token templates put in forms (`<input name="csrf_token">`) and htmx headers."""
    ctx = context_of(conn)
    return (ctx.csrf_token or "") if ctx else ""
