"""`pmo serve`: run the web application with uvicorn, in one or several worker processes.

Secondary indexes a killed `pmo migrate run` left dropped (migration/deferred_indexes.py) are
created again in a background thread while the app serves, unless a migration is running.
"""

from __future__ import annotations

import os

import typer

from pmo_playbook.cli.context import get_context
from pmo_playbook.cli.output import say
from pmo_playbook.config import Settings
from pmo_playbook.db.pool_sizing import PoolPlan, plan_pool, usable_connections
from pmo_playbook.migration.load import deferred_indexes

app = typer.Typer(help="Serve the web application and JSON API.")

# The help shows the values used when neither the option nor the variable is given (it read
# "(default PMO_PORT)", which told nobody the port).
DEFAULT_HOST = Settings.model_fields["host"].default
DEFAULT_PORT = Settings.model_fields["port"].default
HOST_HELP = f"Bind address (default: {DEFAULT_HOST}; PMO_HOST sets another)."
PORT_HELP = f"Port (default: {DEFAULT_PORT}; PMO_PORT sets another)."
WORKERS_HELP = "Worker processes (default: the machine's cores; PMO_WORKERS sets another)."


def default_workers() -> int:
    return os.cpu_count() or 1


@app.callback(invoke_without_command=True)
def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, "--host", help=HOST_HELP),
    port: int | None = typer.Option(None, "--port", help=PORT_HELP),
    workers: int | None = typer.Option(None, "--workers", min=1, max=64, help=WORKERS_HELP),
) -> None:
    """Serve PMO Playbook until interrupted."""
    # The web stack (FastAPI, uvicorn, the pages, the retrieval models) costs ≈ 2 s to import:
    # only `pmo serve` pays it, not `pmo migrate` or `pmo db`.
    import uvicorn

    from pmo_playbook.web.worker_app import IMPORT_STRING

    cli = get_context(ctx)
    settings = cli.settings
    bind_host = host or settings.host
    bind_port = settings.port if port is None else port
    processes = workers or settings.workers or default_workers()
    url = cli.database_url()
    # one line and exit 2 on a bad database, before the banner (CliContext.connect)
    with cli.connect(autocommit=True) as conn:
        usable = usable_connections(conn)
    budget, pool_max = settings.db_connection_budget, settings.db_pool_max
    plan = plan_pool(processes, usable=usable, budget=budget, pool_max=pool_max)
    # The workers are fresh processes that read their settings from the environment: hand them
    # what was resolved here (the embedded server's URL, the pool size per worker).
    os.environ["DATABASE_URL"] = url.raw
    os.environ["PMO_DB_POOL_MAX"] = str(plan.per_worker)
    # indexes a killed migration load left dropped: created while the app already serves
    deferred_indexes.restore_in_background(url)
    say(
        f"PMO Playbook at http://{bind_host}:{bind_port}/ (API docs at /docs); "
        f"{_describe(processes, plan)}; Ctrl+C stops it."
    )
    trusted = settings.trusted_proxies.strip()
    uvicorn.run(
        IMPORT_STRING,
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=processes,
        log_level="warning",
        access_log=settings.access_log,
        # X-Forwarded-For/-Proto only from PMO_TRUSTED_PROXIES (uvicorn's default trusts
        # 127.0.0.1, which lets any local process claim any client address)
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        server_header=False,
        date_header=False,
    )


def _describe(processes: int, plan: PoolPlan) -> str:
    noun = "worker" if processes == 1 else "workers"
    return (
        f"{processes} {noun} × {plan.per_worker} database connections "
        f"(budget {plan.budget}: {plan.source})"
    )
