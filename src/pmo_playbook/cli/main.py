"""The root `pmo` app: global options, sub-apps, and one error policy for every command.

Expected failures (`PmoError`) print one clear line and exit 2; unexpected ones print one line
too, with the traceback only under `--debug`.
"""

from __future__ import annotations

import sys
import traceback

import typer
from pydantic import ValidationError
from typer.exceptions import TyperException

from pmo_playbook import __version__
from pmo_playbook.cli import backup, cutover, db, demo, migrate, serve, users
from pmo_playbook.cli.context import CliContext
from pmo_playbook.cli.output import error_line
from pmo_playbook.config import load_settings
from pmo_playbook.db.url import redact
from pmo_playbook.errors import PmoError
from pmo_playbook.logs import configure_logging
from pmo_playbook.services.ownership import module_not_owned

app = typer.Typer(
    name="pmo",
    help="PMO Playbook: SOPs, projects, chat and feedback on PostgreSQL; MongoDB migration.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(backup.app, name="backup")
app.add_typer(demo.app, name="demo")
app.add_typer(serve.app, name="serve")
app.add_typer(users.app, name="users")
app.add_typer(migrate.app, name="migrate")
app.add_typer(cutover.app, name="cutover")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pmo-playbook {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks and debug logs."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """PMO Playbook command line."""
    settings = load_settings()
    configure_logging("DEBUG" if debug else settings.log_level)
    ctx.obj = CliContext(settings=settings, debug=debug)


def run() -> None:
    """Entry point of the `pmo` console script."""
    debug = "--debug" in sys.argv
    try:
        result = app(standalone_mode=False)
    except TyperException as exc:  # usage errors: Typer's own message, exit 2
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            error_line(exc.format_message())
        sys.exit(exc.exit_code)
    except PmoError as exc:
        if debug:
            traceback.print_exc()
        error_line((module_not_owned(exc) or exc).message)
        sys.exit(2)
    except ValidationError as exc:
        if debug:
            traceback.print_exc()
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        error_line(f"invalid configuration {where}: {first.get('msg')}")
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        error_line("aborted")
        sys.exit(1)
    except KeyboardInterrupt:
        error_line("interrupted")
        sys.exit(130)
    except Exception as exc:  # the edge: one line, traceback only on request
        if debug:
            traceback.print_exc()
        refused = module_not_owned(exc)
        if refused is not None:
            error_line(refused.message)
            sys.exit(2)
        if not debug:
            error_line(f"{type(exc).__name__}: {redact(str(exc))} (run with --debug for details)")
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)
