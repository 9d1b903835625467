"""JSON auth API: `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/auth/me`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from pmo_playbook.repositories.users import UserRepository
from pmo_playbook.services.auth import LoginStatus
from pmo_playbook.services.users import public_user
from pmo_playbook.web.api.contract import READ, errors
from pmo_playbook.web.auth.context import context_of, csrf_token
from pmo_playbook.web.auth.login import attempt_login, logout, session_csrf, set_session_cookies
from pmo_playbook.web.deps import Conn, CurrentActor
from pmo_playbook.web.errors import envelope

router = APIRouter(prefix="/api/auth", tags=["auth"], responses=READ)


class LoginRequest(BaseModel):
    """Email and password (strict strings: objects or arrays are refused with 422)."""

    model_config = ConfigDict(strict=True)

    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class LoginResponse(BaseModel):
    success: bool
    user: dict[str, Any]
    csrfToken: str


class LogoutResponse(BaseModel):
    success: bool


class MeResponse(BaseModel):
    authenticated: bool
    via: str | None = Field(description="bearer, session, or null for anonymous visitors")
    user: dict[str, Any] | None
    csrfToken: str | None


@router.post(
    "/login",
    response_model=LoginResponse,
    responses=errors(429),
)
def api_login(body: LoginRequest, request: Request, conn: Conn) -> Any:
    """Log in with email and password: sets the session cookie and returns the CSRF token."""
    outcome, raw_session = attempt_login(conn, request, body.email, body.password)
    if outcome.status is LoginStatus.LOCKED:
        settings = request.app.state.settings
        retry = {"retry-after": str(settings.login_lockout_seconds)}
        return envelope(429, outcome.message, "RATE_LIMITED", headers=retry)
    if raw_session is None or outcome.user is None:
        return envelope(401, outcome.message, "INVALID_CREDENTIALS")
    payload = LoginResponse(
        success=True,
        user=public_user(outcome.user),
        csrfToken=session_csrf(request, raw_session),
    )
    response = JSONResponse(payload.model_dump())
    set_session_cookies(request, response, raw_session)
    return response


@router.post("/logout", response_model=LogoutResponse, responses=errors(409))
def api_logout(request: Request, conn: Conn) -> Any:
    """End the login session of the cookie (Bearer tokens are revoked with the CLI instead)."""
    response = JSONResponse({"success": True})
    logout(conn, request, response)
    return response


@router.get("/me", response_model=MeResponse)
def api_me(request: Request, conn: Conn, actor: CurrentActor) -> MeResponse:
    """Who the caller is, and the CSRF token to send with cookie-authenticated writes."""
    ctx = context_of(request)
    user = UserRepository(conn).get_by_user_id(actor.user_id) if actor.user_id else None
    return MeResponse(
        authenticated=user is not None,
        via=ctx.kind if ctx and user is not None else None,
        user=public_user(user) if user else None,
        csrfToken=csrf_token(request) or None,
    )
