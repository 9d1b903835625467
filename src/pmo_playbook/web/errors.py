"""One error envelope for every /api error: {"error": "<message>", "code": "...", "details": {}}.

Expected errors (`PmoError`) carry their status; validation errors are 422 (or 400 where a
legacy route says so); anything unexpected is logged once with its traceback and answered 500
without internals.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from pmo_playbook.errors import PmoError, ServiceUnavailable
from pmo_playbook.web.request_db import database_unavailable, is_database_failure
from pmo_playbook.web.responses import JsonResponse

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "INVALID_INPUT",
    429: "RATE_LIMITED",
}


def envelope(
    status: int,
    message: str,
    code: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    """The JSON error response every /api route returns."""
    body = {"error": message, "code": code, "details": details or {}}
    return JsonResponse(status_code=status, content=body, headers=headers)


def error_response(exc: PmoError) -> JsonResponse:
    """The envelope of a project error; `details.retryAfter` also becomes `Retry-After`."""
    headers = None
    retry = exc.details.get("retryAfter")
    if isinstance(retry, (int, float)) and not isinstance(retry, bool):
        headers = {"retry-after": str(max(1, math.ceil(retry)))}
    return envelope(exc.status, exc.message, exc.code, exc.details, headers)


def unavailable_response(exc: ServiceUnavailable) -> JsonResponse:
    """A 503 (busy or database down) for code that runs before the routes (middleware)."""
    return error_response(exc)


def _validation_details(exc: RequestValidationError) -> dict[str, Any]:
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        problems.append({"field": ".".join(loc), "message": str(err.get("msg", ""))})
    return {"problems": problems}


def _json_decode_message(exc: RequestValidationError) -> str | None:
    """One sentence for a body that is not JSON at all (FastAPI reports it as a validation
    error at `body.<character offset>`, which read "Invalid request: 0: JSON decode error")."""
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            loc = [p for p in err.get("loc", ()) if p != "body"]
            reason = str((err.get("ctx") or {}).get("error") or "malformed")
            at = f" at character {loc[0]}" if loc and isinstance(loc[0], int) else ""
            return f"The request body is not valid JSON: {reason}{at}"
    return None


def install_error_handlers(app: FastAPI) -> None:
    """Register the envelope for PmoError, validation errors, HTTP errors and crashes."""

    @app.exception_handler(PmoError)
    async def _pmo_error(request: Request, exc: PmoError) -> JsonResponse:
        if is_database_failure(exc) and not isinstance(exc, ServiceUnavailable):
            exc = database_unavailable()  # a repository's StorageError over a lost connection
        if exc.status >= 500:
            log.error("%s %s failed: %s", request.method, request.url.path, exc.message)
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JsonResponse:
        malformed = _json_decode_message(exc)
        if malformed:
            return envelope(422, malformed, "INVALID_INPUT", {"problems": []})
        details = _validation_details(exc)
        first = details["problems"][0] if details["problems"] else {"field": "", "message": ""}
        where = f"{first['field']}: " if first["field"] else ""
        return envelope(
            422, f"Invalid request: {where}{first['message']}", "INVALID_INPUT", details
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JsonResponse:
        code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ").title()
        return envelope(exc.status_code, message, code)

    @app.exception_handler(PoolTimeout)
    @app.exception_handler(psycopg.OperationalError)
    async def _database_down(request: Request, exc: Exception) -> JsonResponse:
        # The database went away (or the pool cannot reach it): a 503 the client can retry,
        # not a 500, and no driver text (it may name hosts).
        log.error(
            "database unavailable in %s %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
        )
        return error_response(database_unavailable())

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JsonResponse:
        request_id = getattr(request.state, "request_id", "")
        log.exception(
            "unexpected error in %s %s (request %s)", request.method, request.url.path, request_id
        )
        # Crashes are answered by the outermost middleware, past the request-id middleware:
        # set the header here so the client can quote it.
        return envelope(
            500,
            "An unexpected error occurred. Please try again.",
            "INTERNAL_ERROR",
            {"requestId": request_id} if request_id else None,
            headers={"x-request-id": request_id} if request_id else None,
        )
