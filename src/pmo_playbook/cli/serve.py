"""`pmo serve`: run the web application with uvicorn.

Secondary indexes a killed `pmo migrate run` left dropped (migration/deferred_indexes.py) are
created again in a background thread while the app serves, unless a migration is running.
"""

from __future__ import annotations

import typer
import uvicorn

from pmo_playbook.cli.context import get_context
from pmo_playbook.cli.output import say
from pmo_playbook.config import Settings
from pmo_playbook.db.pool import create_pool
from pmo_playbook.migration.load import deferred_indexes
from pmo_playbook.web.app import create_app

app = typer.Typer(help="Serve the web application and JSON API.")

# The help shows the values used when neither the option nor the variable is given (it read
# "(default PMO_PORT)", which told nobody the port).
DEFAULT_HOST = Settings.model_fields["host"].default
DEFAULT_PORT = Settings.model_fields["port"].default
HOST_HELP = f"Bind address (default: {DEFAULT_HOST}; PMO_HOST sets another)."
PORT_HELP = f"Port (default: {DEFAULT_PORT}; PMO_PORT sets another)."


@app.callback(invoke_without_command=True)
def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, "--host", help=HOST_HELP),
    port: int | None = typer.Option(None, "--port", help=PORT_HELP),
) -> None:
    """Serve PMO Playbook until interrupted."""
    cli = get_context(ctx)
    settings = cli.settings
    bind_host = host or settings.host
    bind_port = settings.port if port is None else port
    url = cli.database_url()
    cli.check_database()  # one line and exit 2 on a bad database, before the banner
    pool = create_pool(url, settings)
    application = create_app(settings, pool=pool)
    # indexes a killed migration load left dropped: created while the app already serves
    deferred_indexes.restore_in_background(url)
    say(f"PMO Playbook at http://{bind_host}:{bind_port}/ (API docs at /docs); Ctrl+C stops it.")
    try:
        uvicorn.run(application, host=bind_host, port=bind_port, log_level="warning")
    finally:
        if not pool.closed:
            pool.close()
