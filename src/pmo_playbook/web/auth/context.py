"""Who is calling, resolved once per request by the auth middleware and read by routes.

Signing work is done only when a request needs it: an anonymous visitor gets a (signed) visitor
id the first time something asks for it — a write, a page, a form's CSRF token — never for a
cookieless JSON read; CSRF tokens are computed when first asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import psycopg
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
from pmo_playbook.web.auth.csrf import SAFE_METHODS, csrf_token_for

STATE_KEY = "pmo_auth"
ANONYMOUS = "anonymous"
# Paths whose GETs are machine reads: they never need a visitor id (nothing is owned yet).
_MACHINE_READ_ROOTS = ("/api/", "/healthz")


@dataclass
class AuthContext:
    """The request's credential and the Actor it stands for.

    kind: "bearer" (Authorization header), "session" (login cookie) or "visitor" (anonymous).
    `cookie_credential` is True when the browser presented the cookie that authenticates it:
    those are the requests CSRF protection applies to."""

    actor: Actor
    kind: str
    secret: bytes
    cookie_credential: bool
    invalid_bearer: bool = False
    stale_session_cookie: bool = False
    session_cookie: str | None = None
    new_visitor_cookie: str | None = None
    _csrf: str | None = field(default=None, repr=False)

    @property
    def csrf_computed(self) -> str | None:
        """The CSRF token if this request already computed it (no signing work)."""
        return self._csrf

    def csrf_token(self) -> str | None:
        """The CSRF token of the credential (a visitor gets an id first); None for Bearer."""
        if self._csrf is None:
            if self.kind == "session" and self.session_cookie:
                self._csrf = csrf_token_for(self.secret, "session", self.session_cookie)
            elif self.kind == "visitor":
                visitor_id = self.visitor_actor().visitor_id
                assert visitor_id is not None
                self._csrf = csrf_token_for(self.secret, "visitor", visitor_id)
        return self._csrf

    def visitor_actor(self) -> Actor:
        """The actor, giving an anonymous visitor without a cookie a new signed id."""
        if self.kind == "visitor" and self.actor.visitor_id is None:
            visitor_id = new_visitor_id()
            self.new_visitor_cookie = sign_visitor(self.secret, visitor_id)
            self.actor = replace(self.actor, visitor_id=visitor_id)
        return self.actor

    def actor_for(self, conn: HTTPConnection) -> Actor:
        """The actor a route sees: cookieless machine reads stay without a visitor id."""
        if self.kind != "visitor" or self.actor.visitor_id is not None:
            return self.actor
        if conn.scope.get("method", "GET") in SAFE_METHODS and conn.url.path.startswith(
            _MACHINE_READ_ROOTS
        ):
            return self.actor
        return self.visitor_actor()


def bearer_token(conn: HTTPConnection) -> str | None:
    """The token of an `Authorization: Bearer` header, or None when there is none."""
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def needs_database(conn: HTTPConnection) -> bool:
    """True when resolving the caller takes a database lookup (a token or a session cookie)."""
    return bearer_token(conn) is not None or bool(conn.cookies.get(SESSION_COOKIE))


def resolve_context(
    conn: HTTPConnection, db: psycopg.Connection[Any] | None, secret: bytes
) -> AuthContext:
    """Bearer token, else login session cookie, else the (signed) visitor cookie.

    `db` is the request's own connection (the lookups run in its transaction); it may be None
    only when `needs_database(conn)` is False."""
    token = bearer_token(conn)
    if token is not None:
        assert db is not None
        actor = actor_for_token(db, token) if token else None
        if actor is None:
            return AuthContext(_anonymous(None), "bearer", secret, False, invalid_bearer=True)
        return AuthContext(actor, "bearer", secret, False)
    raw_session = conn.cookies.get(SESSION_COOKIE)
    if raw_session:
        assert db is not None
        actor = actor_for_session(db, raw_session)
        if actor is not None:
            return AuthContext(actor, "session", secret, True, session_cookie=raw_session)
    return visitor_context(conn, secret, stale_session=bool(raw_session))


def visitor_context(conn: HTTPConnection, secret: bytes, *, stale_session: bool) -> AuthContext:
    """An anonymous visitor: the id of a valid visitor cookie, or none yet (made on demand)."""
    cookie = conn.cookies.get(VISITOR_COOKIE, "")
    visitor_id = unsign_visitor(secret, cookie) if cookie else None
    return AuthContext(
        _anonymous(visitor_id),
        "visitor",
        secret,
        cookie_credential=visitor_id is not None,
        stale_session_cookie=stale_session,
    )


def _anonymous(visitor_id: str | None) -> Actor:
    return Actor(user_id=None, display=ANONYMOUS, visitor_id=visitor_id)


def context_of(conn: HTTPConnection) -> AuthContext | None:
    """The AuthContext the middleware stored for this request (None outside the middleware)."""
    state = conn.scope.get("state") or {}
    found = state.get(STATE_KEY)
    return found if isinstance(found, AuthContext) else None


def resolve_actor(conn: HTTPConnection) -> Actor:
    """The Actor the middleware resolved (anonymous otherwise): the `CurrentActor` dependency."""
    ctx = context_of(conn)
    return ctx.actor_for(conn) if ctx else _anonymous(None)


def csrf_token(conn: HTTPConnection) -> str:
    """The CSRF token templates put in forms (`<input name="csrf_token">`) and htmx headers."""
    ctx = context_of(conn)
    return (ctx.csrf_token() or "") if ctx else ""
