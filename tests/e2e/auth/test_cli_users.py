"""`pmo users` through the real console script against the test database."""

from __future__ import annotations

import psycopg

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.services.auth import actor_for_token
from pmo_playbook.services.passwords import verify_password
from tests.support.cli import run_pmo_in_process as run_pmo


def _env(db_url: DatabaseUrl) -> dict[str, str]:
    return {"DATABASE_URL": db_url.raw}


def test_users_create_with_password_stdin_and_list(db_url: DatabaseUrl) -> None:
    created = run_pmo(
        "users",
        "create",
        "Ann@Example.com",
        "--name",
        "Ann",
        "--role",
        "viewer",
        "--password-stdin",
        env=_env(db_url),
        input_text="a long password\n",
    )
    assert created.returncode == 0, created.stderr
    assert "a long password" not in created.stdout + created.stderr
    listed = run_pmo("users", "list", env=_env(db_url))
    assert "ann@example.com  viewer  active  password" in listed.stdout
    with psycopg.connect(db_url.raw) as conn:
        row = conn.execute(
            "SELECT password_hash, data FROM users WHERE email = 'ann@example.com'"
        ).fetchone()
    assert row is not None
    assert verify_password(row[0], "a long password")
    assert row[1]["permissions"] == {
        "canCreateProposals": False,
        "canApproveProposals": False,
        "canEditSOPs": False,
        "canViewAnalytics": True,
    }
    assert "password" not in str(row[1]).lower().replace("haspassword", "")


def test_users_create_bad_input_exits_2(db_url: DatabaseUrl) -> None:
    bad_email = run_pmo(
        "users", "create", "not-an-email", "--name", "X", "--no-password", env=_env(db_url)
    )
    bad_role = run_pmo(
        "users",
        "create",
        "x@example.com",
        "--name",
        "X",
        "--role",
        "root",
        "--no-password",
        env=_env(db_url),
    )
    short = run_pmo(
        "users",
        "create",
        "y@example.com",
        "--name",
        "Y",
        "--password-stdin",
        env=_env(db_url),
        input_text="short\n",
    )
    assert (bad_email.returncode, bad_role.returncode, short.returncode) == (2, 2, 2)
    assert "invalid email address" in bad_email.stderr
    assert "invalid role 'root'" in bad_role.stderr
    assert "password too short" in short.stderr


def test_users_create_duplicate_email_exits_2(db_url: DatabaseUrl) -> None:
    first = run_pmo(
        "users", "create", "dup@example.com", "--name", "D", "--no-password", env=_env(db_url)
    )
    again = run_pmo(
        "users", "create", "DUP@example.com", "--name", "D", "--no-password", env=_env(db_url)
    )
    assert first.returncode == 0 and again.returncode == 2
    assert "already exists" in again.stderr


def test_users_set_password_and_set_role(db_url: DatabaseUrl) -> None:
    run_pmo("users", "create", "bo@example.com", "--name", "Bo", "--no-password", env=_env(db_url))
    set_pw = run_pmo(
        "users",
        "set-password",
        "bo@example.com",
        "--password-stdin",
        env=_env(db_url),
        input_text="new password 1\n",
    )
    role = run_pmo("users", "set-role", "bo@example.com", "admin", env=_env(db_url))
    missing = run_pmo(
        "users",
        "set-password",
        "nobody@example.com",
        "--password-stdin",
        env=_env(db_url),
        input_text="whatever123\n",
    )
    assert set_pw.returncode == 0 and role.returncode == 0, set_pw.stderr + role.stderr
    assert missing.returncode == 2 and "no user with email" in missing.stderr
    with psycopg.connect(db_url.raw) as conn:
        row = conn.execute(
            "SELECT role, data->'permissions', data->>'role', password_hash FROM users"
        ).fetchone()
    assert row is not None and row[0] == "admin" and row[2] == "admin"
    assert all(row[1].values()) and len(row[1]) == 4
    assert verify_password(row[3], "new password 1")


def test_users_token_prints_once_and_revoke_token(db_url: DatabaseUrl) -> None:
    run_pmo("users", "create", "cy@example.com", "--name", "Cy", "--no-password", env=_env(db_url))
    issued = run_pmo("users", "token", "cy@example.com", "--name", "ci", env=_env(db_url))
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert token.startswith("pmo_") and len(token) > 40
    with psycopg.connect(db_url.raw) as conn:
        stored = conn.execute("SELECT token_hash, prefix FROM api_tokens").fetchall()
        assert token not in str(stored) and stored[0][1] == token[:12]
        assert actor_for_token(conn, token) is not None
    listed = run_pmo("users", "tokens", "cy@example.com", env=_env(db_url))
    assert token[:12] in listed.stdout and token not in listed.stdout and "active" in listed.stdout
    revoked = run_pmo("users", "revoke-token", "ci", env=_env(db_url))
    again = run_pmo("users", "revoke-token", "ci", env=_env(db_url))
    unknown = run_pmo("users", "revoke-token", "no-such-token", env=_env(db_url))
    assert revoked.returncode == 0, revoked.stderr
    assert again.returncode == 2 and "already revoked" in again.stderr
    assert unknown.returncode == 2
    with psycopg.connect(db_url.raw) as conn:
        assert actor_for_token(conn, token) is None
