"""FastAPI dependencies: settings, the per-request connection and transaction, the actor.

Tests choose who is acting with `app.dependency_overrides[get_actor] = lambda: actor`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

import psycopg
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from pmo_playbook.config import Settings
from pmo_playbook.errors import ServiceUnavailable
from pmo_playbook.services.actor import Actor
from pmo_playbook.services.ownership import module_not_owned, refuse_unowned_write
from pmo_playbook.web.auth.context import resolve_actor
from pmo_playbook.web.request_db import (
    RequestConnection,
    database_unavailable,
    is_database_failure,
    request_connection,
)


async def get_settings(request: Request) -> Settings:
    """The settings the app was created with (async: no thread hop for a lookup)."""
    settings: Settings = request.app.state.settings
    return settings


async def get_conn(request: Request) -> AsyncIterator[psycopg.Connection[Any]]:
    """The request's one pooled connection and ONE transaction: committed when the endpoint
    returns, rolled back when it raises; then the connection goes back to the pool at once.

    Async on purpose: waiting for a connection happens in the event loop (bounded, see
    web/request_db.py), never in a worker thread. A lost database is a 503; a write the
    cut-over's capture trigger refused (a module MongoDB owns) is a 409 MODULE_NOT_OWNED."""
    holder = request_connection(request.scope)
    conn = await holder.get()
    try:
        await _check_ownership(request, conn)
        yield conn
    except BaseException as exc:
        await _fail(holder, conn, exc)
        raise
    try:
        await run_in_threadpool(conn.commit)
    except psycopg.OperationalError as exc:
        raise database_unavailable() from exc
    finally:
        await holder.release()


async def get_read_conn(request: Request) -> AsyncIterator[psycopg.Connection[Any]]:
    """The request's connection for an endpoint that only reads, in ONE statement.

    No transaction is opened: one statement is its own snapshot, so BEGIN and COMMIT would be
    two extra round trips (and a thread hop for the commit) that change nothing, on the
    busiest endpoints. If the connection is already inside a transaction (the auth middleware
    looked a credential up on it), that transaction is simply committed as `get_conn` does."""
    holder = request_connection(request.scope)
    conn = await holder.get()
    in_transaction = conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
    if not in_transaction:
        conn.autocommit = True  # no I/O: only how the next statement is sent
    try:
        yield conn
    except BaseException as exc:
        _leave_autocommit(conn)
        await _fail(holder, conn, exc)
        raise
    try:
        if in_transaction:
            await run_in_threadpool(conn.commit)
    except psycopg.OperationalError as exc:
        raise database_unavailable() from exc
    finally:
        _leave_autocommit(conn)
        await holder.release()


def _leave_autocommit(conn: psycopg.Connection[Any]) -> None:
    """Back to transactions before the pool lends the connection to a request that writes;
    one that cannot be switched back is closed (the pool replaces it), never lent as is."""
    if conn.closed or not conn.autocommit:
        return
    try:
        conn.autocommit = False
    except psycopg.Error:
        conn.close()


async def _fail(
    holder: RequestConnection, conn: psycopg.Connection[Any], exc: BaseException
) -> None:
    """Roll back and give the connection back; map a lost database to 503 and a write to a
    module the legacy application owns to 409 (by raising those instead of `exc`)."""
    await run_in_threadpool(_rollback_quietly, conn)
    await holder.release()
    lost = isinstance(exc, Exception) and is_database_failure(exc)
    if lost and not isinstance(exc, ServiceUnavailable):
        raise database_unavailable() from exc
    refused = module_not_owned(exc)  # a write to a module the legacy application owns
    if refused is not None and refused is not exc:
        raise refused from None


READ_METHODS = ("GET", "HEAD", "OPTIONS")


async def _check_ownership(request: Request, conn: psycopg.Connection[Any]) -> None:
    """During a cut-over: refuse a write to a module this application does not own BEFORE the
    endpoint runs (409 naming the owner; the capture trigger stays the guarantee), and tell
    the page templates which modules are read-only (`request.state.not_owned`).

    API reads skip the lookup (they render no forms); page reads and every write pay one
    small query, which finds nothing once no cut-over is in progress."""
    path = request.url.path
    reading = request.method in READ_METHODS
    if reading and (path == "/api" or path.startswith("/api/")):
        return
    request.state.not_owned = await run_in_threadpool(refuse_unowned_write, conn, path, reading)


def _rollback_quietly(conn: psycopg.Connection[Any]) -> None:
    if conn.broken or conn.closed:
        return
    with contextlib.suppress(psycopg.Error):  # the pool discards one it cannot reset
        conn.rollback()


async def get_actor(request: Request) -> Actor:
    """The acting user, as the auth middleware resolved it (async: no thread hop)."""
    return resolve_actor(request)


# scope="function": commit (or roll back) when the endpoint returns, BEFORE the response is
# sent. With FastAPI's default request scope the commit ran after the response went out, so a
# client following a redirect (or re-reading right after a 200) could see the old data.
Conn = Annotated[psycopg.Connection[Any], Depends(get_conn, scope="function")]
# Only for endpoints whose whole database work is one SELECT (see get_read_conn).
ReadConn = Annotated[psycopg.Connection[Any], Depends(get_read_conn, scope="function")]
CurrentActor = Annotated[Actor, Depends(get_actor)]
AppSettings = Annotated[Settings, Depends(get_settings)]
