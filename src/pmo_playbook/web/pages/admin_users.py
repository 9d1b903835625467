"""Admin users (`/admin/users`): create, change role, (de)activate, reset password, issue and
revoke API tokens; the audit log (`/admin/audit`).

A generated password or a new token is shown once: the POST that made it seals it
(services/one_time_secrets) and redirects (303) to GET /admin/users with the ticket in a
short-lived HttpOnly cookie; that GET shows it with `Cache-Control: no-store` and burns the
ticket, so reloading the page neither re-POSTs the form nor shows the secret again (only its
digest or hash is stored for good). A refused create (bad email, duplicate, bad name) renders
the form again with the error beside its field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from pmo_playbook.documents.users import ROLES
from pmo_playbook.errors import Conflict, InvalidInput
from pmo_playbook.services.audit import recent_actions
from pmo_playbook.services.one_time_secrets import TICKET_TTL_SECONDS, open_secret, seal_secret
from pmo_playbook.services.user_admin import (
    add_user,
    change_active,
    change_role,
    issue_api_token,
    list_accounts,
    reset_password,
    revoke_api_token,
)
from pmo_playbook.web.auth.cookies import cookie_secure, set_cookie
from pmo_playbook.web.deps import AppSettings, Conn, CurrentActor
from pmo_playbook.web.pages.admin_common import admin_render, redirect_to, require_login

router = APIRouter(include_in_schema=False)

UserField = Annotated[str, Form(min_length=1, max_length=200)]
NO_STORE = {"Cache-Control": "no-store"}
TICKET_COOKIE = "pmo_secret_ticket"
_DONE = {
    "role": "Role changed.",
    "activate": "User activated.",
    "deactivate": "User deactivated.",
    "revoke": "API token revoked.",
}


def _page(
    request: Request,
    conn: Any,
    actor: Any,
    settings: Any,
    extra: dict[str, Any],
    status: int = 200,
) -> Response:
    accounts = [
        {"user": user, "tokens": [t for t in tokens if t.revoked_at is None]}
        for user, tokens in list_accounts(conn, actor)
    ]
    context = {"accounts": accounts, "roles": ROLES, "form": {}, "errors": {}, **extra}
    response = admin_render(
        request, conn, actor, settings, "users", "admin/users.html", context, status=status
    )
    if extra.get("secret"):
        response.headers.update(NO_STORE)
    return response


@router.get("/admin/users", response_model=None)
def users_page(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    done: str | None = None,
) -> Response:
    """Every user with their role, state and active API tokens; a secret made by the POST
    that redirected here is shown this once."""
    require_login(actor)
    ticket = request.cookies.get(TICKET_COOKIE)
    extra: dict[str, Any] = {"notice": _DONE.get(done or "")}
    shown = open_secret(conn, actor, ticket) if ticket else None
    if shown is not None:
        extra = {"notice": shown.notice, "secret": {"label": shown.label, "value": shown.value}}
    response = _page(request, conn, actor, settings, extra)
    if ticket:  # used or stale: the browser must not send it again
        secure = cookie_secure(request, settings.session_cookie_secure)
        set_cookie(response, TICKET_COOKIE, "", max_age=0, secure=secure)
        response.headers.update(NO_STORE)
    return response


def _show_once(
    request: Request, conn: Any, actor: Any, settings: Any, label: str, value: str, notice: str
) -> Response:
    """Redirect-after-POST for a secret: sealed here, shown by the GET it redirects to."""
    ticket = seal_secret(conn, actor, label, value, notice)
    response = redirect_to(request, "/admin/users")
    secure = cookie_secure(request, settings.session_cookie_secure)
    set_cookie(response, TICKET_COOKIE, ticket, max_age=TICKET_TTL_SECONDS, secure=secure)
    response.headers.update(NO_STORE)
    return response


def _field_of(error: InvalidInput | Conflict) -> str:
    text = error.message.lower()
    if "email" in text:
        return "email"
    if "name" in text:
        return "name"
    return "role"


@router.post("/admin/users/create", response_model=None)
def create(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    email: Annotated[str, Form(max_length=320)] = "",
    name: Annotated[str, Form(max_length=400)] = "",
    role: Annotated[str, Form(max_length=20)] = "user",
) -> Response:
    """Create a user with a generated password, shown once."""
    require_login(actor)
    form = {"email": email, "name": name, "role": role}
    try:
        with conn.transaction():  # a savepoint: a refused create leaves nothing behind
            user, password = add_user(conn, actor, email, name, role)
    except (InvalidInput, Conflict) as error:
        errors = {_field_of(error): error.message}
        return _page(request, conn, actor, settings, {"form": form, "errors": errors}, 422)
    notice = f"User {user.email} created."
    return _show_once(
        request, conn, actor, settings, f"Password for {user.email}", password, notice
    )


@router.post("/admin/users/role", response_model=None)
def role(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    user_id: UserField,
    role: Annotated[str, Form(max_length=20)],
) -> Response:
    """Give exactly `user_id` another role."""
    change_role(conn, actor, user_id, role)
    return redirect_to(request, "/admin/users?done=role")


@router.post("/admin/users/active", response_model=None)
def active(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    user_id: UserField,
    active: Annotated[str, Form(pattern="^(true|false)$")],
) -> Response:
    """Activate or deactivate exactly `user_id`."""
    change_active(conn, actor, user_id, active == "true")
    return redirect_to(
        request, f"/admin/users?done={'activate' if active == 'true' else 'deactivate'}"
    )


@router.post("/admin/users/password", response_model=None)
def password(
    request: Request, conn: Conn, actor: CurrentActor, settings: AppSettings, user_id: UserField
) -> Response:
    """Reset the password of `user_id` to a generated one, shown once."""
    user, new = reset_password(conn, actor, user_id)
    notice = f"Password of {user.email} reset; their sessions were ended."
    return _show_once(request, conn, actor, settings, f"New password for {user.email}", new, notice)


@router.post("/admin/users/tokens", response_model=None)
def issue(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    settings: AppSettings,
    user_id: UserField,
    token_name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Issue an API token for `user_id`, shown once."""
    issued = issue_api_token(conn, actor, user_id, token_name)
    label = f"API token “{issued.record.name}” for {issued.record.email}"
    notice = "API token issued. Copy it now: it will not be shown again."
    return _show_once(request, conn, actor, settings, label, issued.token, notice)


@router.post("/admin/users/tokens/revoke", response_model=None)
def revoke(
    request: Request,
    conn: Conn,
    actor: CurrentActor,
    token_id: Annotated[int, Form(ge=1)],
) -> Response:
    """Revoke one API token."""
    revoke_api_token(conn, actor, token_id)
    return redirect_to(request, "/admin/users?done=revoke")


@router.get("/admin/audit", response_model=None)
def audit_page(
    request: Request, conn: Conn, actor: CurrentActor, settings: AppSettings
) -> Response:
    """The newest admin actions: who, what, which target, when."""
    require_login(actor)
    entries = recent_actions(conn, actor, limit=200)
    return admin_render(
        request, conn, actor, settings, "audit", "admin/audit.html", {"entries": entries}
    )
