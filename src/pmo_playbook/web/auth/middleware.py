"""The auth edge: resolve the caller, gate anonymous access, check CSRF, write auth cookies.

Runs for every HTTP request of an app built by `create_app`. A credential that needs a lookup
(Bearer token, session cookie) is resolved on the request's own pooled connection (taken here,
then reused by the route: one connection per request); a database that is down or busy is a 503
in the error envelope, never a 500. Tests choose the acting user by overriding the
`web.deps.get_actor` dependency; this middleware still runs unchanged.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pmo_playbook.config import Settings
from pmo_playbook.errors import PmoError, ServiceUnavailable
from pmo_playbook.services.auth import load_secret_key
from pmo_playbook.web.auth.context import (
    STATE_KEY,
    AuthContext,
    needs_database,
    resolve_context,
    visitor_context,
)
from pmo_playbook.web.auth.cookies import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    VISITOR_COOKIE,
    VISITOR_MAX_AGE,
    cookie_headers,
    cookie_secure,
)
from pmo_playbook.web.auth.csrf import CSRF_FIELD, CSRF_HEADER, SAFE_METHODS, tokens_match
from pmo_playbook.web.body_replay import read_body
from pmo_playbook.web.body_replay import replay as replay_body
from pmo_playbook.web.errors import envelope, unavailable_response
from pmo_playbook.web.request_db import (
    database_unavailable,
    is_database_failure,
    request_connection,
)

# Reachable without logging in when PMO_PUBLIC_READ=false.
PUBLIC_PATHS = frozenset(
    {"/login", "/logout", "/api/auth/login", "/api/auth/logout", "/api/auth/me", "/healthz"}
)
PUBLIC_PREFIXES = ("/static/", "/favicon")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def secret_of(app: Any, settings: Settings) -> bytes:
    """The signing secret, loaded once per app (lazily: creating an app does no I/O)."""
    secret: bytes | None = getattr(app.state, "auth_secret", None)
    if secret is None:
        secret = load_secret_key(settings)
        app.state.auth_secret = secret
    return secret


class AuthMiddleware:
    """Pure ASGI middleware (keeps streaming responses intact)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        starlette_app = scope.get("app")
        if scope["type"] != "http" or starlette_app is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        secret = secret_of(starlette_app, self.settings)
        try:
            ctx = await self._resolve(request, secret)
        except ServiceUnavailable as exc:
            response = await self._unavailable(request, exc)
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})[STATE_KEY] = ctx
        refusal = await self._refusal(request, ctx, receive)
        if isinstance(refusal, Response):
            await refusal(scope, receive, send)
            return
        replay = refusal if refusal is not None else receive
        await self.app(scope, replay, self._with_cookies(request, ctx, send))

    async def _unavailable(self, request: Request, exc: ServiceUnavailable) -> Response:
        """The app's own answer to a 503: the JSON envelope for the API, the HTML error page
        for a page (both with Retry-After); the plain envelope if no handler is installed."""
        handler = request.app.exception_handlers.get(PmoError)
        if handler is None:
            return unavailable_response(exc)
        response: Response = await handler(request, exc)
        return response

    async def _resolve(self, request: Request, secret: bytes) -> AuthContext:
        """The caller; a credential lookup runs on the request's connection."""
        if request.url.path.startswith(PUBLIC_PREFIXES) or not needs_database(request):
            return visitor_context(request, secret, stale_session=False)
        holder = request_connection(request.scope)
        db = await holder.get()
        try:
            return await run_in_threadpool(resolve_context, request, db, secret)
        except Exception as exc:
            if is_database_failure(exc):
                raise database_unavailable() from exc
            raise

    async def _refusal(
        self, request: Request, ctx: AuthContext, receive: Receive
    ) -> Response | Receive | None:
        """A response that ends the request, or a replaying `receive` when the body was read."""
        if ctx.invalid_bearer:
            return envelope(
                401,
                "Invalid or revoked API token.",
                "UNAUTHORIZED",
                headers={"www-authenticate": "Bearer"},
            )
        if not self.settings.public_read and ctx.actor.is_anonymous and not _public(request):
            return _login_required(request)
        if request.method in SAFE_METHODS or not ctx.cookie_credential:
            return None
        expected = ctx.csrf_token()
        if expected is None:
            return None
        provided = request.headers.get(CSRF_HEADER)
        replay: Receive | None = None
        content_type = request.headers.get("content-type", "")
        if provided is None and content_type.startswith(_FORM_TYPES):
            body = await read_body(receive)
            form = await Request(request.scope, replay_body(body, receive)).form()
            field = form.get(CSRF_FIELD)
            provided = field if isinstance(field, str) else None
            replay = replay_body(body, receive)
        if not tokens_match(expected, provided):
            return envelope(
                403,
                "CSRF token missing or invalid: send the X-CSRF-Token header (or the "
                "csrf_token form field) with the value of the pmo_csrf cookie.",
                "CSRF_FAILED",
            )
        return replay

    def _with_cookies(self, request: Request, ctx: AuthContext, send: Send) -> Send:
        """Wrap `send` to add the visitor/CSRF cookies and clear a dead session cookie."""
        secure = cookie_secure(request, self.settings.session_cookie_secure)

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                already = " ".join(headers.getlist("set-cookie"))
                extra: list[tuple[bytes, bytes]] = []
                if ctx.new_visitor_cookie:
                    extra += cookie_headers(
                        VISITOR_COOKIE,
                        ctx.new_visitor_cookie,
                        max_age=VISITOR_MAX_AGE,
                        secure=secure,
                    )
                if ctx.stale_session_cookie and f"{SESSION_COOKIE}=" not in already:
                    extra += cookie_headers(SESSION_COOKIE, "", max_age=0, secure=secure)
                # a new visitor gets its CSRF cookie with its visitor cookie
                wanted = ctx.csrf_computed or (ctx.csrf_token() if ctx.new_visitor_cookie else None)
                if (
                    wanted
                    and request.cookies.get(CSRF_COOKIE) != wanted
                    and f"{CSRF_COOKIE}=" not in already
                ):
                    extra += cookie_headers(
                        CSRF_COOKIE,
                        wanted,
                        max_age=VISITOR_MAX_AGE,
                        secure=secure,
                        http_only=False,
                    )
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        return send_with_cookies


def _public(request: Request) -> bool:
    path = request.url.path
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _login_required(request: Request) -> Response:
    """401 for API callers; a redirect to the login page for a browser asking for a page."""
    path = request.url.path
    wants_html = "text/html" in request.headers.get("accept", "")
    if request.method == "GET" and wants_html and not path.startswith("/api/"):
        return RedirectResponse(f"/login?next={quote(path)}", status_code=303)
    return envelope(401, "Authentication required.", "UNAUTHORIZED")
