"""The per-process connection pool, created closed by the edge and opened in its lifespan."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from pmo_playbook.config import Settings
from pmo_playbook.db.connect import check_server_version, connection_kwargs
from pmo_playbook.db.pool_sizing import DEFAULT_POOL_MAX
from pmo_playbook.db.url import DatabaseUrl


def _configure(conn: psycopg.Connection[Any]) -> None:
    check_server_version(conn)


def create_pool(url: DatabaseUrl, settings: Settings) -> ConnectionPool:
    """A pool for `url`, not yet open (the caller opens it: nothing connects at import)."""
    kwargs = connection_kwargs(url, connect_timeout=settings.db_connect_timeout)
    if settings.db_transaction_pooler is True:
        kwargs["prepare_threshold"] = None
    elif settings.db_transaction_pooler is False:
        kwargs.pop("prepare_threshold", None)
    return ConnectionPool(
        url.raw,
        min_size=settings.db_pool_min,
        max_size=max(settings.db_pool_max or DEFAULT_POOL_MAX, settings.db_pool_min, 1),
        kwargs=kwargs,
        open=False,
        timeout=settings.db_connect_timeout,
        configure=_configure,
        name="pmo",
    )
