"""`pmo users`: accounts, passwords, roles and API tokens.

Passwords come from a hidden prompt (asked twice) or, with `--password-stdin`, from the first
line of standard input, so they never appear on a command line or in shell history. A new API
token is printed once on stdout; only its sha256 is stored.
"""

from __future__ import annotations

import sys

import typer

from pmo_playbook.cli.context import get_context
from pmo_playbook.cli.output import emit_json, ok, say, warn
from pmo_playbook.errors import InvalidInput
from pmo_playbook.services import tokens as token_service
from pmo_playbook.services import users as user_service
from pmo_playbook.services.users import public_user

app = typer.Typer(help="Users: create, passwords, roles, API tokens.", no_args_is_help=True)

_STDIN_HELP = "Read the password from the first line of standard input."


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise InvalidInput("no password on standard input")
        return password
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@app.command("create")
def create(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The login email (stored lowercased)."),
    name: str = typer.Option(..., "--name", help="Display name."),
    role: str = typer.Option("user", "--role", help="admin, user or viewer."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help=_STDIN_HELP),
    no_password: bool = typer.Option(
        False, "--no-password", help="Create without a password (API tokens only until set)."
    ),
) -> None:
    """Create a user; the role sets the legacy permission flags."""
    if no_password and password_stdin:
        raise InvalidInput("--no-password and --password-stdin exclude each other")
    password = None if no_password else _read_password(password_stdin)
    cli = get_context(ctx)
    with cli.connect() as conn:
        user = user_service.create_user(conn, email, name, role, password)
    ok(f"User {user.email} created ({user.user_id}, role {user.role})")


@app.command("set-password")
def set_password(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The user's email."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help=_STDIN_HELP),
) -> None:
    """Set or replace a user's password (ends their login sessions)."""
    cli = get_context(ctx)
    with cli.connect() as conn:
        user_service.get_user_by_email(conn, email)  # fail before prompting for nothing
    password = _read_password(password_stdin)
    with cli.connect() as conn:
        user = user_service.set_password(conn, email, password)
    ok(f"Password set for {user.email}")


@app.command("set-role")
def set_role(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The user's email."),
    role: str = typer.Argument(..., help="admin, user or viewer."),
) -> None:
    """Change a user's role; the permission flags are reset to the role's defaults."""
    cli = get_context(ctx)
    with cli.connect() as conn:
        user = user_service.set_role(conn, email, role)
    flags = ", ".join(k for k, v in user.permissions.items() if v) or "none"
    ok(f"{user.email} is now {user.role} (permissions: {flags})")


@app.command("set-active")
def set_active(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The user's email."),
    active: bool = typer.Option(..., "--active/--inactive", help="Allow or block the user."),
) -> None:
    """Activate or deactivate a user (a deactivated user's sessions and tokens stop working)."""
    cli = get_context(ctx)
    with cli.connect() as conn:
        user = user_service.set_active(conn, email, active)
    ok(f"{user.email} is now {'active' if user.is_active else 'inactive'}")


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """List users: email, role, active, password set, last login."""
    cli = get_context(ctx)
    with cli.connect() as conn:
        users = user_service.list_users(conn)
    if as_json:
        emit_json([public_user(u) for u in users])
        return
    if not users:
        say("No users.")
        return
    for u in users:
        last = f"{u.last_login:%Y-%m-%d %H:%M}" if u.last_login else "never"
        state = "active" if u.is_active else "inactive"
        pw = "password" if u.has_password else "no password"
        say(f"{u.email}  {u.role}  {state}  {pw}  last login {last}  {u.name}  ({u.user_id})")


@app.command("token")
def token(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The user the token acts as."),
    name: str = typer.Option("default", "--name", help="A label to recognise the token."),
) -> None:
    """Create an API token and print it ONCE (send it as `Authorization: Bearer <token>`)."""
    cli = get_context(ctx)
    with cli.connect() as conn:
        issued = token_service.issue_token(conn, email, name)
    say(issued.token)
    warn(
        f"Token {issued.record.id} ({issued.record.prefix}…, {issued.record.name!r}) for "
        f"{issued.record.email}: shown once, only its hash is stored."
    )


@app.command("tokens")
def tokens(
    ctx: typer.Context,
    email: str | None = typer.Argument(None, help="Only this user's tokens."),
) -> None:
    """List API tokens (id, prefix, name, user, created, last used, revoked)."""
    cli = get_context(ctx)
    with cli.connect() as conn:
        found = token_service.list_tokens(conn, email)
    if not found:
        say("No API tokens.")
    for t in found:
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
        state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
        say(
            f"{t.id}  {t.prefix}…  {t.name}  {t.email}  created {t.created_at:%Y-%m-%d}  "
            f"used {used}  {state}"
        )


@app.command("revoke-token")
def revoke_token(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Token id, displayed prefix (pmo_xxxxxxxx) or name."),
    user: str | None = typer.Option(None, "--user", help="Only among this user's tokens."),
) -> None:
    """Revoke an API token at once (by id, prefix or name; ambiguous names are refused)."""
    cli = get_context(ctx)
    with cli.connect() as conn:
        revoked = token_service.revoke_token(conn, ref, user)
    ok(f"Token {revoked.id} ({revoked.prefix}…, {revoked.name!r}) of {revoked.email} revoked")
