"""Authentication: password login with lockout, server-side login sessions, bearer tokens.

Login sessions are server-side (the cookie carries 32 random bytes; the table keeps their
sha256): logout, a password change or deactivating a user ends them at once, which a signed
stateless cookie could not do without a revocation list. Failed logins are counted per account
(the lowercased email, existing or not, so lockout reveals nothing) and per client IP, in
PostgreSQL so that every worker and replica shares them.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import psycopg

from pmo_playbook.config import Settings
from pmo_playbook.documents.common import to_iso, utc_now
from pmo_playbook.documents.users import User, normalize_email
from pmo_playbook.errors import StorageError
from pmo_playbook.repositories.login_attempts import LoginAttemptRepository
from pmo_playbook.repositories.login_sessions import LoginSessionRepository
from pmo_playbook.repositories.users import UserRepository
from pmo_playbook.services.actor import Actor
from pmo_playbook.services.ownership import owns
from pmo_playbook.services.passwords import (
    burn_verification,
    hash_password,
    needs_rehash,
    verify_password,
)
from pmo_playbook.services.tokens import digest, random_secret, user_id_for_token
from pmo_playbook.services.users import actor_for

log = logging.getLogger(__name__)

INVALID_CREDENTIALS = "Invalid email or password."
LOCKED_OUT = "Too many failed login attempts. Try again later."
SECRET_FILE = "secret_key"  # noqa: S105 - a file name


@dataclass(frozen=True)
class LoginPolicy:
    """Lockout thresholds and session lifetime (from settings)."""

    max_failures: int = 5
    max_failures_per_ip: int = 20
    lockout_seconds: int = 900
    session_max_age: int = 43_200

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginPolicy:
        return cls(
            max_failures=settings.login_max_failures,
            max_failures_per_ip=settings.login_max_failures_per_ip,
            lockout_seconds=settings.login_lockout_seconds,
            session_max_age=settings.session_max_age_seconds,
        )


class LoginStatus(StrEnum):
    OK = "ok"
    INVALID = "invalid"
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginOutcome:
    """The result of a login attempt; `user` only when it succeeded."""

    status: LoginStatus
    user: User | None = None

    @property
    def message(self) -> str:
        return LOCKED_OUT if self.status is LoginStatus.LOCKED else INVALID_CREDENTIALS


def _login_keys(email: str, client_ip: str | None) -> tuple[str, str]:
    return normalize_email(email)[:320], (client_ip or "unknown")[:100]


def reserve_login_attempt(
    conn: psycopg.Connection[Any], email: str, client_ip: str | None, policy: LoginPolicy
) -> bool:
    """Count this attempt against the account and the client address before any password
    check; False when either is locked out (then no password is checked).

    The caller commits right away: a parallel guess must see the count before this attempt's
    slow argon2 check (counting only after it let 14 of 30 parallel guesses through a limit of
    5), and the row lock taken here must not be held for the length of the check."""
    account, ip = _login_keys(email, client_ip)
    attempts = LoginAttemptRepository(conn)
    by_ip = attempts.reserve(
        "ip", ip, max_failures=policy.max_failures_per_ip, lockout_seconds=policy.lockout_seconds
    )
    by_account = attempts.reserve(
        "account", account, max_failures=policy.max_failures, lockout_seconds=policy.lockout_seconds
    )
    allowed = (
        by_ip.failures <= policy.max_failures_per_ip and by_account.failures <= policy.max_failures
    )
    if not allowed:
        log.info("login refused: locked out (ip %s)", ip)
    return allowed


def authenticate(
    conn: psycopg.Connection[Any],
    email: str,
    password: str,
    client_ip: str | None,
    policy: LoginPolicy,
) -> LoginOutcome:
    """Check a password login whose attempt `reserve_login_attempt` counted (and the caller
    committed). A failure keeps its count; a success clears the account's and takes back the
    address's.

    Unknown email, inactive user, user without a password and wrong password all answer
    INVALID after one argon2 verification each, so neither text nor timing tells them apart."""
    account, ip = _login_keys(email, client_ip)
    credentials = UserRepository(conn).get_credentials(account) if account else None
    if credentials and credentials.password_hash and credentials.user.is_active:
        matched = verify_password(credentials.password_hash, password)
    else:
        burn_verification(password)
        matched = False
    if not matched:
        log.info("login failed (ip %s)", ip)
        return LoginOutcome(LoginStatus.INVALID)
    assert credentials is not None and credentials.password_hash is not None
    user = credentials.user
    attempts = LoginAttemptRepository(conn)
    attempts.clear("account", account)
    attempts.release("ip", ip, max_failures=policy.max_failures_per_ip)
    if owns(conn, "users"):  # while MongoDB owns users, the legacy app records its logins
        if needs_rehash(credentials.password_hash):
            UserRepository(conn).replace_hash(user.user_id, hash_password(password))
        now = utc_now()
        UserRepository(conn).record_login(user.user_id, now, to_iso(now))
    log.info("login succeeded for user %s", user.user_id)
    return LoginOutcome(LoginStatus.OK, user)


def start_session(conn: psycopg.Connection[Any], user: User, max_age: int) -> str:
    """Create a login session; returns the raw id for the cookie (only its digest is stored)."""
    raw = random_secret()
    expires = datetime.now(UTC) + timedelta(seconds=max_age)
    LoginSessionRepository(conn).create(digest(raw), user.user_id, expires)
    return raw


def end_session(conn: psycopg.Connection[Any], raw: str) -> bool:
    """Delete the login session behind a cookie value (logout)."""
    return LoginSessionRepository(conn).delete(digest(raw))


def actor_for_session(conn: psycopg.Connection[Any], raw: str) -> Actor | None:
    """The Actor of a live login session of an active user, or None."""
    if not raw or len(raw) > 200:
        return None
    session = LoginSessionRepository(conn).lookup(digest(raw))
    if session is None:
        return None
    user = UserRepository(conn).get_by_user_id(session.user_id)
    return actor_for(user) if user and user.is_active else None


def actor_for_token(conn: psycopg.Connection[Any], token: str) -> Actor | None:
    """The Actor of an active API token of an active user, or None."""
    user_id = user_id_for_token(conn, token)
    if user_id is None:
        return None
    user = UserRepository(conn).get_by_user_id(user_id)
    return actor_for(user) if user and user.is_active else None


def load_secret_key(settings: Settings) -> bytes:
    """PMO_SECRET_KEY, or the key kept in PMO_DATA_DIR/secret_key (created once, mode 0600)."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        return settings.secret_key.get_secret_value().encode("utf-8")
    path = Path(settings.data_dir) / SECRET_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return _read_secret(path)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        return _read_secret(path)
    except OSError as exc:
        raise StorageError(f"cannot create or read the secret key at {path}: {exc}") from exc


def _read_secret(path: Path) -> bytes:
    for _ in range(50):  # another process may have created the file and not yet written it
        value = path.read_text().strip()
        if value:
            return value.encode("utf-8")
        time.sleep(0.02)
    raise StorageError(f"the secret key file {path} is empty")
