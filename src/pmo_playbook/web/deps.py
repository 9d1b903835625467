"""FastAPI dependencies: settings, the per-request connection and transaction, the actor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import psycopg
from fastapi import Depends, Request
from psycopg_pool import ConnectionPool

from pmo_playbook.config import Settings
from pmo_playbook.services.actor import Actor


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_pool(request: Request) -> ConnectionPool:
    """The process's connection pool (opened in the lifespan)."""
    pool: ConnectionPool = request.app.state.pool
    return pool


def get_conn(
    pool: Annotated[ConnectionPool, Depends(get_pool)],
) -> Iterator[psycopg.Connection[Any]]:
    """One pooled connection and ONE transaction per request: committed when the endpoint
    returns, rolled back when it raises (the pool's context manager does both)."""
    with pool.connection() as conn:
        yield conn


def get_actor(request: Request) -> Actor:
    """The acting user. Authentication replaces this resolver (see web/auth); until then every
    request acts as an anonymous visitor."""
    resolver = getattr(request.app.state, "actor_resolver", None)
    if resolver is not None:
        actor: Actor = resolver(request)
        return actor
    return Actor(user_id=None, display="anonymous")


# scope="function": commit (or roll back) when the endpoint returns, BEFORE the response is
# sent. With FastAPI's default request scope the commit ran after the response went out, so a
# client following a redirect (or re-reading right after a 200) could see the old data.
Conn = Annotated[psycopg.Connection[Any], Depends(get_conn, scope="function")]
CurrentActor = Annotated[Actor, Depends(get_actor)]
AppSettings = Annotated[Settings, Depends(get_settings)]
