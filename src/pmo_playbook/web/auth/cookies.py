"""The three auth cookies and how they are written.

- `pmo_session`: a login session (32 random bytes; the server keeps the sha256). HttpOnly.
- `pmo_visitor`: an anonymous visitor's id, signed with itsdangerous (stateless). HttpOnly.
- `pmo_csrf`: the CSRF token for the current credential, readable by page scripts (NOT
  HttpOnly) so htmx/fetch can echo it in `X-CSRF-Token`.

All are SameSite=Lax, Path=/, and Secure when the request came over https (directly or through a
proxy that says so in X-Forwarded-Proto) unless PMO_SESSION_COOKIE_SECURE forces it.
"""

from __future__ import annotations

import uuid

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import HTTPConnection
from starlette.responses import Response

SESSION_COOKIE = "pmo_session"
VISITOR_COOKIE = "pmo_visitor"
CSRF_COOKIE = "pmo_csrf"
VISITOR_MAX_AGE = 365 * 24 * 3600
_VISITOR_SALT = "pmo-visitor"


def is_https(conn: HTTPConnection) -> bool:
    """The request reached us over https, directly or via a proxy (X-Forwarded-Proto)."""
    forwarded = conn.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return conn.url.scheme == "https" or forwarded == "https"


def cookie_secure(conn: HTTPConnection, forced: bool | None) -> bool:
    """The Secure flag: forced by settings, else automatic."""
    return forced if forced is not None else is_https(conn)


def cookie_headers(
    name: str, value: str, *, max_age: int, secure: bool, http_only: bool = True
) -> list[tuple[bytes, bytes]]:
    """Raw `set-cookie` headers for one cookie (max_age 0 deletes it)."""
    scratch = Response()
    scratch.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=secure,
        httponly=http_only,
        samesite="lax",
    )
    return [(k, v) for k, v in scratch.raw_headers if k == b"set-cookie"]


def set_cookie(
    response: Response, name: str, value: str, *, max_age: int, secure: bool, http_only: bool = True
) -> None:
    """Add a cookie to a response with the project's flags."""
    response.raw_headers.extend(
        cookie_headers(name, value, max_age=max_age, secure=secure, http_only=http_only)
    )


def new_visitor_id() -> str:
    """A fresh anonymous visitor id."""
    return uuid.uuid4().hex


def sign_visitor(secret: bytes, visitor_id: str) -> str:
    """The signed cookie value for a visitor id."""
    return str(URLSafeSerializer(secret, salt=_VISITOR_SALT).dumps(visitor_id))


def unsign_visitor(secret: bytes, value: str) -> str | None:
    """The visitor id in a signed cookie, or None when absent, forged or malformed."""
    if not value or len(value) > 200:
        return None
    try:
        loaded = URLSafeSerializer(secret, salt=_VISITOR_SALT).loads(value)
    except BadSignature:
        return None
    if isinstance(loaded, str) and len(loaded) == 32 and loaded.isalnum():
        return loaded
    return None
