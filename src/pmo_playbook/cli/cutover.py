"""`pmo migrate sync` and `pmo cutover`: the live sync and the module-by-module switch.

A thin layer over sync/: parse, call, print. See docs/migration-runbook.md (Phases 4-6).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer

from pmo_playbook.cli.context import get_context
from pmo_playbook.cli.migrate import JSON, cli_source, source_spec
from pmo_playbook.cli.migrate import app as migrate_app
from pmo_playbook.cli.output import bad, emit_json, ok, say, warn
from pmo_playbook.errors import InvalidInput
from pmo_playbook.migration.connection import open_connection
from pmo_playbook.sync import ownership
from pmo_playbook.sync.ownership import ModuleStatus
from pmo_playbook.sync.runner import legacy_database, run_sync

app = typer.Typer(
    help="Module-by-module cut-over: status, switch, rollback, finish.", no_args_is_help=True
)
MODULE = typer.Argument(..., help="projects, sops, chat, feedback, proposals, users or all.")
FROM = typer.Option(None, "--from", help="The legacy mongodb:// URI (default: MONGODB_URI).")
TIMEOUT = typer.Option(
    120.0, "--timeout", min=0, help="Seconds to wait for the sync to catch up before giving up."
)
LIVE_SCHEMES = ("mongodb://", "mongodb+srv://")


def _live_uri(ctx: typer.Context, spec: str | None) -> str:
    uri = source_spec(ctx, spec)
    if not uri.startswith(LIVE_SCHEMES):
        raise InvalidInput("the live sync needs a mongodb:// or mongodb+srv:// URI, not a file")
    return uri


@migrate_app.command("sync")
def sync_cmd(
    ctx: typer.Context,
    from_: str | None = FROM,
    follow: bool = typer.Option(False, "--follow", help="Keep following until stopped."),
    mode: str = typer.Option(
        "auto", "--mode", help="auto, changestream (replica sets) or poll (updatedAt + _id sets)."
    ),
    interval: float = typer.Option(0.5, "--interval", min=0.01, help="Idle seconds per pass."),
    reconcile: float = typer.Option(
        30.0, "--reconcile", min=0, help="Poll mode: seconds between `_id` comparisons (deletes)."
    ),
    as_json: bool = JSON,
) -> None:
    """Start the cut-over (first run) and sync both directions by module; exactly once."""
    if mode not in ("auto", "changestream", "poll"):
        raise InvalidInput(f"--mode {mode!r}: one of auto, changestream, poll")
    url = get_context(ctx).database_url()
    stop = {"now": False}
    with _stop_on_signals(stop):
        report = run_sync(
            url,
            legacy_database(_live_uri(ctx, from_)),
            follow=follow,
            mode=mode,
            interval=interval,
            reconcile_seconds=reconcile,
            should_stop=lambda: stop["now"],
        )
    if as_json:
        emit_json(report.as_json())
    else:
        ok(f"sync: {report.inbound_events} change(s) from MongoDB, "
           f"{report.outbound_writes} write(s) to MongoDB, {report.passes} pass(es)")  # fmt: skip


@contextmanager
def _stop_on_signals(stop: dict[str, bool]) -> Iterator[None]:
    """SIGTERM / SIGINT end the sync after the batch in progress (it commits or not at all)."""

    def handler(signum: int, frame: Any) -> None:
        stop["now"] = True

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def show_status(statuses: list[ModuleStatus]) -> None:
    """One line per module (shared by `pmo cutover status` and `pmo migrate status`)."""
    if not statuses:
        say("Cut-over: none in progress (this application owns every module).")
        return
    for s in statuses:
        lag = "not caught up yet" if s.lag_seconds is None else f"lag {s.lag_seconds:.1f}s"
        last = f", last event {s.last_event_at:%H:%M:%S}" if s.last_event_at else ""
        want = f" (desired: {s.desired})" if s.desired and s.desired != s.owner else ""
        when = f" at {s.verified_at:%H:%M:%S}" if s.verified_at else ""
        line = (f"{s.module}: owner {s.owner}{want}, {lag}, {s.pending} pending to MongoDB"
                f"{last}, verify{when} {s.verify}")  # fmt: skip
        (ok if s.verify == "clean" and s.lag_seconds is not None else say)(line)


@app.command("status")
def status_cmd(ctx: typer.Context, as_json: bool = JSON) -> None:
    """Owner, desired owner, lag, last event and verify state of every module. Reads only."""
    cli = get_context(ctx)
    with open_connection(cli.database_url()) as conn:
        statuses = ownership.module_status(conn, cli.settings.desired_owners())
    if as_json:
        emit_json({"in_progress": bool(statuses), "modules": [s.as_json() for s in statuses]})
    else:
        show_status(statuses)


def _change(ctx: typer.Context, target: str, to: str, from_: str | None, timeout: float) -> None:
    modules = ownership.parse_targets(target)
    url = get_context(ctx).database_url()
    with cli_source(ctx, _live_uri(ctx, from_), None) as source, open_connection(url) as conn:
        for module in modules:
            changed = ownership.change_owner(conn, source, module, to, timeout=timeout)
            (ok if changed else say)(f"{module}: owned by {to}" + ("" if changed else " already"))


@app.command("switch")
def switch_cmd(
    ctx: typer.Context,
    module: str = MODULE,
    from_: str | None = FROM,
    timeout: float = TIMEOUT,
) -> None:
    """Give MODULE to PostgreSQL once the sync caught up and it verifies clean."""
    _change(ctx, module, "postgresql", from_, timeout)


@app.command("rollback")
def rollback_cmd(
    ctx: typer.Context,
    module: str = MODULE,
    from_: str | None = FROM,
    timeout: float = TIMEOUT,
) -> None:
    """Give MODULE back to MongoDB once its writes reached MongoDB and it verifies clean."""
    _change(ctx, module, "mongodb", from_, timeout)


@app.command("apply")
def apply_cmd(ctx: typer.Context, from_: str | None = FROM, timeout: float = TIMEOUT) -> None:
    """Switch / roll back the modules whose USE_POSTGRES_<MODULE> differs from their owner."""
    cli = get_context(ctx)
    desired = cli.settings.desired_owners()
    if not desired:
        warn("no USE_POSTGRES_<MODULE> setting is set: nothing to apply")
        return
    for module, owner in desired.items():
        _change(ctx, module, owner, from_, timeout)


@app.command("finish")
def finish_cmd(ctx: typer.Context, from_: str | None = FROM) -> None:
    """End the cut-over: every module on PostgreSQL, nothing pending, verify clean."""
    url = get_context(ctx).database_url()
    with cli_source(ctx, _live_uri(ctx, from_), None) as source, open_connection(url) as conn:
        try:
            ownership.finish(conn, source)
        except Exception:
            bad("the cut-over goes on (nothing changed)")
            raise
    ok("cut-over finished: PostgreSQL owns every module; stop `pmo migrate sync` now")
