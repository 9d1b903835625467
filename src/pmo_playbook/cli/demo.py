"""`pmo demo`: the README's main command on a fresh machine.

Starts (or reuses) the embedded PostgreSQL unless DATABASE_URL is set, checks it, brings the
schema to head, migrates the sample legacy database shipped in the package (the five real SOPs,
sample projects, chats, gap reports, ratings and a proposal: `sample_data/legacy/`, a
mongoexport folder) with the migration toolkit, then serves the app and prints its URL. A second
run reuses everything and does NOT load the sample again once a run of it has finished: a
migration re-run makes the rows match the source, which would undo what people changed in the
app since (an edited SOP, a new chat). Nor is the sample loaded into a database that already
holds application rows (DATABASE_URL pointing at a real database, or a demo database made from
another checkout): only into an empty one, or to resume its own interrupted load.
`pmo migrate run --from <sample> --format mongoexport` loads it on purpose.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from importlib import resources
from pathlib import Path

import typer

from pmo_playbook.cli.context import CliContext, get_context
from pmo_playbook.cli.db import database_check
from pmo_playbook.cli.output import bad, error_line, ok, say
from pmo_playbook.cli.serve import HOST_HELP, PORT_HELP
from pmo_playbook.db import schema
from pmo_playbook.migration.load import checkpoints
from pmo_playbook.migration.load.run import migrate
from pmo_playbook.migration.mapping import SPECS, sorted_collections
from pmo_playbook.migration.sources import open_source
from pmo_playbook.services.health import retrieval_mode
from pmo_playbook.services.users import ensure_demo_admin

app = typer.Typer(help="Run the demo: embedded database, schema, sample data, app.")


def pmo_command(argv0: str | None = None) -> str:
    """How to run `pmo` again from here: `pmo` when that name on PATH is this very program, else
    the path it was started by (the README's `.venv/bin/pmo`, not on PATH), else
    `python -m pmo_playbook` with this interpreter."""
    started = argv0 if argv0 is not None else sys.argv[0]
    path = Path(started)
    if path.name == "pmo":
        if "/" not in started:  # the shell found it on PATH
            return "pmo"
        on_path = shutil.which("pmo")
        if on_path and Path(on_path).resolve() == path.resolve():
            return "pmo"
        if path.exists():
            return shlex.quote(started)
    return f"{shlex.quote(sys.executable)} -m pmo_playbook"


def sample_data_dir() -> Path:
    """The packaged sample legacy database (mongoexport JSON lines, canonical Extended JSON)."""
    return Path(str(resources.files("pmo_playbook") / "sample_data" / "legacy"))


def _load_sample(cli: CliContext) -> None:
    source = open_source(str(sample_data_dir()), format="mongoexport")
    fp = checkpoints.fingerprint(source, sorted_collections(source), unmapped=False)
    with cli.connect() as conn:
        done = checkpoints.last_finished_run(conn, fp)
        resuming = checkpoints.has_open_run(conn, fp)
        in_use = [] if resuming else checkpoints.tables_with_rows(conn, [t.table for t in SPECS])
    if done is not None:
        say(
            f"Sample data already loaded (migration run {done[0]}, {done[1]:%Y-%m-%d %H:%M}); "
            "not loaded again, so changes made in the app are kept."
        )
        return
    if in_use:
        say(
            "The database already holds data (" + ", ".join(in_use) + "); the sample data is "
            "only loaded into an empty database, so nothing was loaded."
        )
        return
    report = migrate(cli.database_url(), source)
    rows = {c.collection: c.row_count for c in report.collections}
    listing = ", ".join(f"{name} {count}" for name, count in sorted(rows.items()))
    if not report.ok:
        bad(f"Sample data did not migrate cleanly ({report.quarantined} quarantined): {listing}")
        raise typer.Exit(1)
    if report.changed:
        ok(f"Sample data migrated: {listing}")
    else:
        say(f"Sample data already present (nothing changed): {listing}")


def _announce_admin(cli: CliContext) -> None:
    """Create the demo admin on first run and say how to log in."""
    with cli.connect() as conn:
        email, password = ensure_demo_admin(conn)
        conn.commit()
    if password:
        ok(f"Admin account: {email} / password: {password} (shown once; log in at /login)")
    else:
        say(
            f"Admin account: {email} (password shown on the first run; reset it with "
            f"`pmo users set-password {email}`)"
        )


@app.callback(invoke_without_command=True)
def demo(
    ctx: typer.Context,
    host: str | None = typer.Option(None, "--host", help=HOST_HELP),
    port: int | None = typer.Option(None, "--port", help=PORT_HELP),
    no_serve: bool = typer.Option(False, "--no-serve", help="Prepare everything, do not serve."),
) -> None:
    """Check the database, create the schema, migrate the sample data, serve the app."""
    cli = get_context(ctx)
    url = cli.database_url()
    for step in database_check(cli):
        if step.ok:
            continue
        if step.name == "connect":  # the one error line on stderr, exit 2, as every command
            error_line(f"connect: {step.message}")
            raise typer.Exit(2)
        bad(f"{step.name}: {step.message}")
        raise typer.Exit(1)
    ok(f"Database ready: {url.display()}")
    with cli.connect(autocommit=True) as conn:
        result = schema.apply_migrations(conn)
    if result.pending:
        ok(f"Schema created ({len(result.pending)} migration(s) applied)")
    else:
        say("Schema already up to date.")
    _load_sample(cli)
    _announce_admin(cli)
    mode, detail = retrieval_mode()  # hybrid, or full-text only and why (the model missing)
    say(f"Chat retrieval: {mode} ({detail})")
    if no_serve:
        say(f"Ready (--no-serve): start the app with `{pmo_command()} serve`.")
        return
    from pmo_playbook.cli.serve import serve

    serve(ctx, host=host, port=port, workers=None)
