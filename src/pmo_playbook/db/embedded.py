"""The embedded default: a local PostgreSQL in PMO_DATA_DIR when DATABASE_URL is unset."""

from __future__ import annotations

import logging

import psycopg
from psycopg import sql

from pmo_playbook.config import Settings
from pmo_playbook.db.cluster import LocalCluster, wheel_bin_dir
from pmo_playbook.db.url import DatabaseUrl

log = logging.getLogger(__name__)

APP_DATABASE = "pmo_playbook"
EMBEDDED_PORT = 5432  # only names the Unix socket file; the embedded server has no TCP listener


def embedded_cluster(settings: Settings) -> LocalCluster:
    """The embedded cluster of these settings (not started)."""
    return LocalCluster(data_dir=settings.embedded_dir, bin_dir=wheel_bin_dir(), port=EMBEDDED_PORT)


def start_embedded(settings: Settings) -> DatabaseUrl:
    """Start (or reuse) the embedded server and make sure the application database exists."""
    cluster = embedded_cluster(settings)
    cluster.start()
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (APP_DATABASE,)
        ).fetchone()
        if not exists:
            log.info("creating database %s in the embedded server", APP_DATABASE)
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(APP_DATABASE)))
    return DatabaseUrl(cluster.url(APP_DATABASE))


def resolve_database_url(settings: Settings) -> DatabaseUrl:
    """DATABASE_URL when set, else the embedded server's URL (starting it if needed)."""
    if settings.database_url is not None:
        return DatabaseUrl.parse(settings.database_url.get_secret_value())
    return start_embedded(settings)


def uses_embedded(settings: Settings) -> bool:
    """True when these settings rely on the embedded server."""
    return settings.database_url is None
