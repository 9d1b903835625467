"""`pmo demo`: the README's main command on a fresh machine.

Starts (or reuses) the embedded PostgreSQL unless DATABASE_URL is set, checks it and brings the
schema to head. Later steps (sample data, serving the app) are added as those features land.
"""

from __future__ import annotations

import typer

from pmo_playbook.cli.context import get_context
from pmo_playbook.cli.output import bad, ok, say
from pmo_playbook.db import schema
from pmo_playbook.services.db_check import run_db_check

app = typer.Typer(help="Run the demo: embedded database, schema, sample data, app.")


@app.callback(invoke_without_command=True)
def demo(ctx: typer.Context) -> None:
    """Check the database, create the schema (a second run reuses everything)."""
    cli = get_context(ctx)
    url = cli.database_url()
    for step in run_db_check(url, connect_timeout=cli.settings.db_connect_timeout):
        if not step.ok:
            bad(f"{step.name}: {step.message}")
            raise typer.Exit(2 if step.name == "connect" else 1)
    ok(f"Database ready: {url.display()}")
    with cli.connect(autocommit=True) as conn:
        result = schema.apply_migrations(conn)
    if result.pending:
        ok(f"Schema created ({len(result.pending)} migration(s) applied)")
    else:
        say("Schema already up to date.")
