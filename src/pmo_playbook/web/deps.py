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
from pmo_playbook.services.ownership import module_not_owned
from pmo_playbook.web.auth.context import resolve_actor
from pmo_playbook.web.request_db import (
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
        yield conn
    except BaseException as exc:
        await run_in_threadpool(_rollback_quietly, conn)
        await holder.release()
        lost = isinstance(exc, Exception) and is_database_failure(exc)
        if lost and not isinstance(exc, ServiceUnavailable):
            raise database_unavailable() from exc
        refused = module_not_owned(exc)  # a write to a module the legacy application owns
        if refused is not None and refused is not exc:
            raise refused from None
        raise
    try:
        await run_in_threadpool(conn.commit)
    except psycopg.OperationalError as exc:
        raise database_unavailable() from exc
    finally:
        await holder.release()


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
CurrentActor = Annotated[Actor, Depends(get_actor)]
AppSettings = Annotated[Settings, Depends(get_settings)]
