"""`install_edge(app)`: what guards every route against hostile input, in one call.

- the input guard middleware (unstorable text, out-of-range numbers, broken forms);
- HTTP errors keep their headers whichever handler renders them, so a 405 carries `Allow`
  (TRACE and unknown methods) on API routes and pages alike.

Call it after every router and extension is in place (it wraps the error handlers they
installed) and before the body-size limit is added (the limit must sit outside the guard).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from pmo_playbook.web.input_guard import InputGuardMiddleware

Handler = Callable[[Request, Exception], Awaitable[Response] | Response]


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path. Starlette's own `Allow` names only the
    first route that matched the path (GET /api/projects, not also POST /api/projects)."""
    methods: set[str] = set()
    for route in _flat_routes(request.app.router.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)


def _flat_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """The routes that can match a request. FastAPI (0.165, pinned) keeps each included router
    as one entry whose `effective_candidates()` lists its routes."""
    for route in routes:
        candidates = getattr(route, "effective_candidates", None)
        if callable(candidates):
            yield from _flat_routes(candidates())
        else:
            yield route


def install_edge(app: FastAPI) -> None:
    """Add the input guard and make HTTP error responses keep the exception's headers."""
    app.add_middleware(InputGuardMiddleware)
    rendering: Handler = app.exception_handlers[StarletteHTTPException]

    async def http_error_with_headers(request: Request, exc: Exception) -> Response:
        result = rendering(request, exc)
        response = result if isinstance(result, Response) else await result
        for name, value in (getattr(exc, "headers", None) or {}).items():
            response.headers.setdefault(name, value)
        if response.status_code == 405:
            response.headers["allow"] = ", ".join(allowed_methods(request))
        return response

    app.add_exception_handler(StarletteHTTPException, http_error_with_headers)
