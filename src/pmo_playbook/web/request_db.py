"""At most one pooled connection per request, taken behind an async gate that cannot deadlock.

Why a gate: FastAPI runs sync code in a shared thread pool. When every thread waits in
`pool.getconn()` while the requests that hold the connections need a thread to finish, the
server stalls until the pool timeout (measured: 40 × 503 in a burst of 60 health checks). Here
a request first waits, in the event loop and without a thread, for one of as many permits as
the pool has connections; only then is a connection taken, so a thread never blocks on the
pool. The wait is bounded (`PMO_DB_POOL_TIMEOUT`): past it the request gets 503 `SERVER_BUSY`
with `Retry-After`, never a hang.

The connection is taken lazily by the first user in the request (the auth middleware when a
credential must be looked up, else the `Conn` dependency), kept in the ASGI scope, committed by
`Conn` when the endpoint returns and given back by `RequestConnectionMiddleware` at the latest.
"""

from __future__ import annotations

import logging
import math
import threading
from typing import Any

import anyio
import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from pmo_playbook.errors import ServiceUnavailable

log = logging.getLogger(__name__)

SCOPE_KEY = "pmo_request_db"


class ServerBusy(ServiceUnavailable):
    """Every database connection stayed busy for the whole bounded wait."""

    code = "SERVER_BUSY"


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached (down, restarting, or refusing connections)."""

    code = "DATABASE_UNAVAILABLE"


BUSY_RETRY_AFTER = 1
_NO_WAIT = 0.0005  # seconds
DOWN_RETRY_AFTER = 5


def is_database_failure(exc: BaseException) -> bool:
    """True for errors that mean "the database went away", directly or wrapped by a
    repository (StorageError from an OperationalError)."""
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            return False
        if isinstance(seen, (PoolTimeout, psycopg.OperationalError, DatabaseUnavailable)):
            return True
        seen = seen.__cause__
    return False


class ConnectionGate:
    """The process's pool plus permits (one per pooled connection) and the bounded wait."""

    def __init__(self, pool: ConnectionPool, max_wait: float) -> None:
        self.pool = pool
        self.max_wait = max_wait
        self._permits: anyio.Semaphore | None = None
        self._checking = threading.Lock()

    def start(self) -> None:
        """Create the permits inside the serving event loop (called from the lifespan)."""
        self._permits = anyio.Semaphore(self.pool.max_size)

    async def take(self) -> psycopg.Connection[Any]:
        """A connection for one request: wait (bounded) for a permit, then check one out."""
        permits = self._permits
        if permits is None:
            raise RuntimeError("ConnectionGate used before the app's lifespan started it")
        with anyio.move_on_after(self.max_wait) as waited:
            await permits.acquire()
        if waited.cancelled_caught:
            raise ServerBusy(
                "The server is busy. Please try again.",
                details={"retryAfter": BUSY_RETRY_AFTER},
            )
        try:
            return await self._checkout()
        except BaseException:
            permits.release()
            raise

    async def _checkout(self) -> psycopg.Connection[Any]:
        # Fast path without a thread: a permit guarantees the pool is not lent out, so an idle
        # connection is usually ready (taken under the pool's lock, no I/O); when none is (the
        # pool is growing or reconnecting), wait for one in a thread, at most the bounded wait.
        # (A zero timeout is refused by psycopg_pool even with a connection ready.)
        try:
            return self.pool.getconn(timeout=_NO_WAIT)
        except PoolTimeout:
            pass
        try:
            return await run_in_threadpool(self.pool.getconn, self.max_wait)
        except PoolTimeout as exc:
            raise database_unavailable() from exc

    async def give_back(self, conn: psycopg.Connection[Any]) -> None:
        """Return a connection (rolled back if a transaction is still open) and its permit."""
        try:
            broken = conn.broken or conn.closed
            if conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE or broken:
                self.pool.putconn(conn)
            else:
                await run_in_threadpool(self.pool.putconn, conn)
            if broken:
                self._drop_dead_idle_connections()
        finally:
            assert self._permits is not None
            self._permits.release()

    def _drop_dead_idle_connections(self) -> None:
        """After a broken connection, test the idle ones in the background (pool.check) so
        the requests after a database restart get live connections, not dead ones."""
        if not self._checking.acquire(blocking=False):
            return

        def run() -> None:
            try:
                self.pool.check()
            except Exception:
                log.debug("pool check failed", exc_info=True)
            finally:
                self._checking.release()

        threading.Thread(target=run, name="pmo-pool-check", daemon=True).start()


def database_unavailable() -> DatabaseUnavailable:
    """The 503 error for a database that cannot be reached."""
    return DatabaseUnavailable(
        "Database unavailable. Please try again.", details={"retryAfter": DOWN_RETRY_AFTER}
    )


class RequestConnection:
    """The lazily taken connection of one request."""

    def __init__(self, gate: ConnectionGate) -> None:
        self.gate = gate
        self.conn: psycopg.Connection[Any] | None = None

    async def get(self) -> psycopg.Connection[Any]:
        if self.conn is None:
            self.conn = await self.gate.take()
        return self.conn

    async def release(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            await self.gate.give_back(conn)


def request_connection(scope: Scope) -> RequestConnection:
    """The request's connection holder (set by RequestConnectionMiddleware)."""
    holder = scope.get("state", {}).get(SCOPE_KEY)
    if not isinstance(holder, RequestConnection):
        raise RuntimeError("RequestConnectionMiddleware is not installed")
    return holder


class RequestConnectionMiddleware:
    """Give each HTTP request a connection holder and return its connection when done."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        gate: ConnectionGate = scope["app"].state.gate
        holder = RequestConnection(gate)
        scope.setdefault("state", {})[SCOPE_KEY] = holder
        try:
            await self.app(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await holder.release()


def retry_after_seconds(exc: ServiceUnavailable) -> str:
    """The Retry-After value for a 503 (whole seconds, at least one)."""
    value = exc.details.get("retryAfter", DOWN_RETRY_AFTER)
    return str(max(1, math.ceil(float(value))))
