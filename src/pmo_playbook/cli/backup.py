"""`pmo backup`: create, list and restore pg_dump backups of the application database."""

from __future__ import annotations

from pathlib import Path

import typer

from pmo_playbook.cli.context import get_context
from pmo_playbook.cli.output import ok, say
from pmo_playbook.ops import backup as ops

app = typer.Typer(help="Backups: create, list, restore.", no_args_is_help=True)


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


@app.command("create")
def create(
    ctx: typer.Context,
    to: Path | None = typer.Option(None, "--to", help="Write here (must not exist)."),
) -> None:
    """Dump the database (pg_dump custom format) to a new timestamped file."""
    cli = get_context(ctx)
    made = ops.create_backup(cli.database_url(), folder=cli.settings.backups_path, target=to)
    ok(f"Backup written to {made.path} ({_human_size(made.size)})")


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List backups in the backup folder, newest first."""
    cli = get_context(ctx)
    backups = ops.list_backups(cli.settings.backups_path)
    if not backups:
        say(f"No backups in {cli.settings.backups_path}")
        return
    for item in backups:
        say(f"{item.modified:%Y-%m-%d %H:%M:%S}  {_human_size(item.size):>10}  {item.path}")


@app.command("restore")
def restore(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A file written by `pmo backup create`."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Replace the database's contents with a backup (one transaction: all or nothing)."""
    cli = get_context(ctx)
    ops.check_backup_file(file)
    url = cli.database_url()
    if not yes:
        typer.confirm(f"Replace the contents of {url.display()} with {file}?", abort=True)
    ops.restore_backup(url, file)
    ok(f"Restored {file} into {url.display()}")
