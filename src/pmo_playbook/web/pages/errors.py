"""HTML error pages for page routes; the JSON envelope stays for /api and other machine paths.

The app-wide handlers (web/errors.py) answer every error with the JSON envelope. Pages need a
real page with the right status instead (D37: an unknown SOP is a 404 page, not an error inside
a viewer). We wrap the existing handlers: page requests get HTML, everything else is passed to
the original JSON handler unchanged.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from psycopg import OperationalError
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from pmo_playbook.errors import PmoError, ServiceUnavailable, Unauthorized
from pmo_playbook.web.pages.rendering import is_htmx, render
from pmo_playbook.web.request_db import database_unavailable, is_database_failure

log = logging.getLogger(__name__)

Handler = Callable[[Request, Exception], Awaitable[Response] | Response]

MACHINE_ROOTS = ("/api", "/healthz", "/static", "/docs", "/redoc", "/openapi.json")

TITLES = {
    400: "Bad Request",
    401: "Login Required",
    403: "Access Denied",
    404: "Page Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Request Too Large",
    422: "Invalid Input",
    429: "Too Many Requests",
    503: "Service Unavailable",
}


def is_page_request(request: Request) -> bool:
    """True for paths served as HTML pages (everything outside the machine roots)."""
    path = request.url.path
    return not any(path == root or path.startswith(root + "/") for root in MACHINE_ROOTS)


def login_redirect(request: Request) -> Response:
    """Send an anonymous visitor to the login page, coming back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET" or is_htmx(request):
        target = request.headers.get("hx-current-url") or "/"
        if "://" in target:
            target = "/" + target.split("://", 1)[1].split("/", 1)[-1]
    location = f"/login?next={quote(target, safe='/')}"
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def error_page(request: Request, status: int, message: str, title: str | None = None) -> Response:
    """The clear error page (or, for htmx, a small alert fragment) with the right status."""
    context = {"status": status, "title": title or TITLES.get(status, "Error"), "message": message}
    template = "partials/error_alert.html" if is_htmx(request) else "error.html"
    return render(request, template, context, status=status)


def retry_headers(exc: PmoError) -> dict[str, str]:
    """`Retry-After` for a 503 page, as the JSON envelope sends it (whole seconds, >= 1)."""
    retry = exc.details.get("retryAfter")
    if isinstance(retry, (int, float)) and not isinstance(retry, bool):
        return {"retry-after": str(max(1, math.ceil(retry)))}
    return {}


def install_page_errors(app: FastAPI) -> None:
    """Wrap the JSON handlers so that page requests get HTML error pages."""
    json_pmo = app.exception_handlers[PmoError]
    json_http = app.exception_handlers[StarletteHTTPException]
    json_crash = app.exception_handlers[Exception]
    json_down = app.exception_handlers[OperationalError]

    async def _delegate(handler: Handler, request: Request, exc: Exception) -> Response:
        result = handler(request, exc)
        if isinstance(result, Response):
            return result
        return await result

    async def pmo_error(request: Request, exc: Exception) -> Response:
        if not is_page_request(request):
            return await _delegate(json_pmo, request, exc)
        assert isinstance(exc, PmoError)
        if is_database_failure(exc) and not isinstance(exc, ServiceUnavailable):
            exc = database_unavailable()  # a repository's StorageError over a lost connection
        if isinstance(exc, Unauthorized):
            return login_redirect(request)
        if exc.status >= 500:
            log.error("%s %s failed: %s", request.method, request.url.path, exc.message)
        response = error_page(request, exc.status, exc.message)
        response.headers.update(retry_headers(exc))
        return response

    async def database_down(request: Request, exc: Exception) -> Response:
        if not is_page_request(request):
            return await _delegate(json_down, request, exc)
        log.error(
            "database unavailable in %s %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
        )
        return await pmo_error(request, database_unavailable())

    async def http_error(request: Request, exc: Exception) -> Response:
        if not is_page_request(request):
            return await _delegate(json_http, request, exc)
        assert isinstance(exc, StarletteHTTPException)
        message = exc.detail if isinstance(exc.detail, str) else ""
        if exc.status_code == 404:
            message = "The page you're looking for doesn't exist."
        return error_page(request, exc.status_code, message)

    async def crash(request: Request, exc: Exception) -> Response:
        if not is_page_request(request):
            return await _delegate(json_crash, request, exc)
        request_id = getattr(request.state, "request_id", "")
        log.exception(
            "unexpected error in %s %s (request %s)", request.method, request.url.path, request_id
        )
        message = "An unexpected error occurred. Please try again."
        if request_id:
            message += f" (request {request_id})"
        response = error_page(request, 500, message, "Something Went Wrong")
        if request_id:
            response.headers["x-request-id"] = request_id
        return response

    app.add_exception_handler(PmoError, pmo_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, crash)
    app.add_exception_handler(PoolTimeout, database_down)
    app.add_exception_handler(OperationalError, database_down)
