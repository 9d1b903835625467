"""`pmo db`: check the connection, create/drop the schema, status, URL, stop the embedded server."""

from __future__ import annotations

from collections.abc import Iterator

import typer

from pmo_playbook.cli.context import CliContext, get_context
from pmo_playbook.cli.output import bad, error_line, ok, say
from pmo_playbook.db import schema
from pmo_playbook.db.embedded import embedded_cluster, uses_embedded
from pmo_playbook.errors import PmoError
from pmo_playbook.migration.load import deferred_indexes
from pmo_playbook.services.db_check import CheckStep, run_db_check
from pmo_playbook.services.health import retrieval_mode

app = typer.Typer(
    help="Database: check, create-schema, status, drop-schema, url, stop.", no_args_is_help=True
)


def database_check(cli: CliContext) -> Iterator[CheckStep]:
    """The Phase 1 check's steps on a connection opened here (the edge owns it); a URL that
    cannot be resolved or a failed connect is the first and last step, "connect"."""
    try:
        conn = cli.connect()
    except PmoError as exc:
        yield CheckStep("connect", False, exc.message)
        return
    with conn:
        yield from run_db_check(conn)


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Connect and prove JSONB works (the seed's Phase 1 checkpoint), one line per step."""
    failed_step = None
    for step in database_check(get_context(ctx)):
        if step.ok:
            ok(step.message)
        elif step.name == "connect":  # nothing else ran: the one error line on stderr, exit 2
            error_line(f"connect: {step.message}")
            raise typer.Exit(2)
        else:
            bad(f"{step.name}: {step.message}")
            failed_step = step
    if failed_step is not None:
        raise typer.Exit(1)


@app.command("create-schema")
def create_schema(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="List pending migrations only."),
) -> None:
    """Apply pending schema migrations and report every table, index and trigger created."""
    cli = get_context(ctx)
    with cli.connect(autocommit=True) as conn:
        result = schema.apply_migrations(conn, dry_run=dry_run)
    if not result.pending:
        say("Schema is up to date: nothing to do.")
        return
    if dry_run:
        for migration in result.pending:
            say(f"would apply {migration.filename}")
        say(f"{len(result.pending)} migration(s) pending (dry run: nothing executed)")
        return
    for migration in result.pending:
        ok(f"applied {migration.filename}")
    _report_created(result.created)


def _report_created(created: list[schema.SchemaObject]) -> None:
    tables = [o for o in created if o.kind == "table"]
    indexes = [o for o in created if o.kind == "index"]
    triggers = [o for o in created if o.kind == "trigger"]
    others = [o for o in created if o.kind in ("function", "extension")]
    for table in tables:
        mine = [i.name for i in indexes if i.table == table.name]
        ok(f"table {table.name} ({len(mine)} indexes: {', '.join(sorted(mine))})")
    loose = [i for i in indexes if i.table not in {t.name for t in tables}]
    for index in loose:
        ok(f"index {index.name} on {index.table}")
    for trigger in triggers:
        ok(f"trigger {trigger.name} on {trigger.table}")
    for other in others:
        ok(f"{other.kind} {other.name}")
    say(
        f"Summary: {len(tables)} tables, {len(indexes)} indexes, {len(triggers)} triggers, "
        f"{len(others)} functions/extensions created."
    )


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Show the database in use, the server version and applied/pending migrations."""
    cli = get_context(ctx)
    url = cli.database_url()
    source = "embedded server" if uses_embedded(cli.settings) else "DATABASE_URL"
    with cli.connect(autocommit=True) as conn:  # an unusable database: the error line only
        say(f"Database: {url.display()} ({source})")
        say(f"Server: PostgreSQL {conn.info.parameter_status('server_version')}")
        applied = schema.applied_migrations(conn)
        pending = schema.pending_migrations(conn)
        deferred = deferred_indexes.missing(conn)
    for name, table in deferred:
        bad(f"missing  index {name} on {table} (deferred by a migration load; `pmo migrate run`)")
    for done in applied:
        say(f"applied  {done.version:04d}_{done.name}  {done.applied_at:%Y-%m-%d %H:%M:%S%z}")
    for todo in pending:
        say(f"pending  {todo.filename}")
    version = applied[-1].version if applied else "none"
    say(f"Schema version: {version}; {len(pending)} pending")
    mode, detail = retrieval_mode()
    say(f"Chat retrieval: {mode} ({detail})")


@app.command("drop-schema")
def drop_schema(
    ctx: typer.Context,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be dropped."),
) -> None:
    """Drop every table and function the migrations created (all application data!)."""
    cli = get_context(ctx)
    with cli.connect(autocommit=True) as conn:
        objects = schema.existing_managed_objects(conn)
        if not objects:
            say("Nothing to drop.")
            return
        if dry_run:
            for kind, name in objects:
                say(f"would drop {kind.lower()} {name}")
            say(f"{len(objects)} object(s) would be dropped (dry run: nothing executed)")
            return
        if not yes:
            target = cli.database_url().display()
            typer.confirm(
                f"Drop {len(objects)} objects and ALL their data from {target}?", abort=True
            )
        dropped = schema.drop_schema(conn)
    for kind, name in dropped:
        ok(f"dropped {kind.lower()} {name}")
    say(f"Summary: {len(dropped)} object(s) dropped.")


@app.command("url")
def url(
    ctx: typer.Context,
    show_password: bool = typer.Option(False, "--show-password", help="Print the password too."),
) -> None:
    """Print the database URL in use (password hidden unless --show-password)."""
    cli = get_context(ctx)
    say_raw = cli.database_url().display(reveal=show_password)
    typer.echo(say_raw)


@app.command("stop")
def stop(ctx: typer.Context) -> None:
    """Stop the embedded PostgreSQL server (no effect when DATABASE_URL is set)."""
    cli = get_context(ctx)
    if not uses_embedded(cli.settings):
        say("DATABASE_URL is set: there is no embedded server to stop.")
        return
    try:
        stopped = embedded_cluster(cli.settings).stop()
    except RuntimeError as exc:
        raise PmoError(str(exc)) from exc
    say("Embedded PostgreSQL stopped." if stopped else "Embedded PostgreSQL was not running.")
