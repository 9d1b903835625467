"""Opening connections with clear, password-free errors for the common mistakes."""

from __future__ import annotations

from typing import Any

import psycopg

from pmo_playbook.db.url import DatabaseUrl, redact
from pmo_playbook.errors import DatabaseConfigError

MIN_SERVER_VERSION = 150000
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
               "keepalives_count": 6}  # fmt: skip


def connection_kwargs(url: DatabaseUrl, *, connect_timeout: float = 10.0) -> dict[str, Any]:
    """Keyword arguments for psycopg.connect/ConnectionPool: pooler-safe, with a timeout."""
    kwargs: dict[str, Any] = {"connect_timeout": max(1, int(connect_timeout))}
    # TCP keepalives (libpq's own parameters; the URL's win): an idle connection, such as the
    # migration writer lock's session during a long run or a pooled one between requests, is
    # kept open through NAT and load-balancer idle timeouts, and a dead peer is noticed.
    params = url.params
    for name, value in _KEEPALIVES.items():
        if name not in params:
            kwargs[name] = value
    if url.is_transaction_pooler():
        # PgBouncer/Neon in transaction mode cannot keep server-side prepared statements.
        kwargs["prepare_threshold"] = None
    return kwargs


def explain_connect_error(url: DatabaseUrl, exc: psycopg.Error) -> DatabaseConfigError:
    """Turn a driver error at connect time into one clear line naming the cause."""
    text = redact(str(exc)).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    lower = text.lower()
    params = url.params
    host = params.get("host") or "localhost"
    user = params.get("user", "")
    if "password authentication failed" in lower or "no password supplied" in lower:
        reason = f"authentication failed for user {user!r} (wrong password?)"
    elif "database" in lower and "does not exist" in lower:
        reason = f"database {url.dbname!r} does not exist on {host}"
    elif "role" in lower and "does not exist" in lower:
        reason = f"user {user!r} does not exist on {host}"
    elif any(
        s in lower
        for s in (
            "connection refused",
            "could not translate host name",
            "timeout expired",
            "no route to host",
            "name or service not known",
            "no such file or directory",
            "network is unreachable",
        )
    ):
        reason = f"cannot reach the database server at {host}: {first}"
    else:
        reason = f"cannot connect to the database: {first}"
    return DatabaseConfigError(reason, details={"url": url.display()})


def check_server_version(conn: psycopg.Connection[Any]) -> None:
    """Refuse servers older than PostgreSQL 15."""
    version = conn.info.server_version
    if version < MIN_SERVER_VERSION:
        major = version // 10000
        raise DatabaseConfigError(
            f"PostgreSQL {major} is too old: PMO Playbook needs PostgreSQL 15 or newer"
        )


def connect(
    url: DatabaseUrl, *, autocommit: bool = False, connect_timeout: float = 10.0
) -> psycopg.Connection[Any]:
    """One connection (for CLI work), with friendly errors and the version check."""
    try:
        conn = psycopg.connect(
            url.raw,
            autocommit=autocommit,
            **connection_kwargs(url, connect_timeout=connect_timeout),
        )
    except psycopg.Error as exc:
        raise explain_connect_error(url, exc) from None
    try:
        check_server_version(conn)
    except DatabaseConfigError:
        conn.close()
        raise
    return conn
