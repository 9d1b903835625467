"""Login/logout pages (`/login`, `/logout`) in the site's layout, over `web/auth/login`.

The form posts `email`, `password`, `csrf_token` and `next`; success redirects (303) to `next`
when it is a local path, else to `/`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from pmo_playbook.services.auth import LoginStatus
from pmo_playbook.web.auth.context import csrf_token
from pmo_playbook.web.auth.login import attempt_login, logout, set_session_cookies
from pmo_playbook.web.deps import Conn, CurrentActor
from pmo_playbook.web.pages.rendering import render_html

router = APIRouter(include_in_schema=False)


def _page(request: Request, template: str, **values: Any) -> str:
    """A page in the site's layout, with the form's CSRF token."""
    return render_html(request, template, {"csrf": csrf_token(request), **values})


def safe_next(target: str | None) -> str:
    """A local path to go to after login (never another site: `//host` and `\\` are refused)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _login_page(request: Request, actor_email: str | None, **values: Any) -> str:
    values.setdefault("error", None)
    values.setdefault("email", "")
    values.setdefault("next", "/")
    return _page(request, "login.html", actor_email=actor_email, **values)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, actor: CurrentActor, next: str = "/") -> HTMLResponse:
    """The login form."""
    email = actor.display if actor.user_id else None
    return HTMLResponse(_login_page(request, email, next=safe_next(next)))


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    conn: Conn,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Any:
    """Check the form; set the session cookie and redirect, or show the form with the error."""
    outcome, raw_session = attempt_login(conn, request, email, password)
    if raw_session is None:
        status = 429 if outcome.status is LoginStatus.LOCKED else 401
        page = _login_page(request, None, error=outcome.message, email=email, next=safe_next(next))
        return HTMLResponse(page, status_code=status)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookies(request, response, raw_session)
    return response


@router.get("/logout", response_class=HTMLResponse)
def logout_page(request: Request) -> HTMLResponse:
    """A page with the logout button (logging out is a POST, so other sites cannot force it)."""
    return HTMLResponse(_page(request, "logout.html"))


@router.post("/logout")
def logout_submit(request: Request, conn: Conn) -> RedirectResponse:
    """End the session and go to the home page."""
    response = RedirectResponse("/", status_code=303)
    logout(conn, request, response)
    return response
