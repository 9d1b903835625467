"""Minimal login/logout pages (`/login`, `/logout`); the pages layer may restyle them.

The form posts `email`, `password`, `csrf_token` and `next`; success redirects (303) to `next`
when it is a local path, else to `/`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment

from pmo_playbook.services.auth import LoginStatus
from pmo_playbook.web.auth.context import csrf_token
from pmo_playbook.web.auth.login import attempt_login, logout, set_session_cookies
from pmo_playbook.web.deps import Conn, CurrentActor

router = APIRouter(include_in_schema=False)

_ENV = Environment(autoescape=True)
_LOGIN = _ENV.from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log in · PMO Playbook</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>
<h1>Log in</h1>
{% if actor_email %}<p>You are logged in as {{ actor_email }}.</p>{% endif %}
{% if error %}<p role="alert" class="error">{{ error }}</p>{% endif %}
<form method="post" action="/login">
  <input type="hidden" name="csrf_token" value="{{ csrf }}">
  <input type="hidden" name="next" value="{{ next }}">
  <label>Email <input type="email" name="email" value="{{ email }}" required
    autocomplete="username"></label>
  <label>Password <input type="password" name="password" required
    autocomplete="current-password"></label>
  <button type="submit">Log in</button>
</form>
</main></body></html>
""")
_LOGOUT = _ENV.from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log out · PMO Playbook</title></head>
<body><main>
<h1>Log out</h1>
<form method="post" action="/logout">
  <input type="hidden" name="csrf_token" value="{{ csrf }}">
  <button type="submit">Log out</button>
</form>
</main></body></html>
""")


def safe_next(target: str | None) -> str:
    """A local path to go to after login (never another site: `//host` and `\\` are refused)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _login_page(request: Request, actor_email: str | None, **values: Any) -> str:
    values.setdefault("error", None)
    values.setdefault("email", "")
    values.setdefault("next", "/")
    return _LOGIN.render(csrf=csrf_token(request), actor_email=actor_email, **values)


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
    return HTMLResponse(_LOGOUT.render(csrf=csrf_token(request)))


@router.post("/logout")
def logout_submit(request: Request, conn: Conn) -> RedirectResponse:
    """End the session and go to the home page."""
    response = RedirectResponse("/", status_code=303)
    logout(conn, request, response)
    return response
