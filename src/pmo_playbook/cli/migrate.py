"""`pmo migrate`: plan, run, verify, export and the quarantine (a thin layer over migration/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import typer

from pmo_playbook.cli.context import get_context
from pmo_playbook.cli.output import bad, emit_json, ok, say, warn
from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.errors import InvalidInput
from pmo_playbook.migration.connection import open_connection
from pmo_playbook.migration.load import quarantine as quarantine_store
from pmo_playbook.migration.load.id_range import IdRange
from pmo_playbook.migration.load.loader import DEFAULT_BATCH_SIZE, LoadOptions
from pmo_playbook.migration.load.progress import RichProgress
from pmo_playbook.migration.load.prune import Extras, PruneRefused, PruneRequest
from pmo_playbook.migration.load.report import RunReport, summary_line
from pmo_playbook.migration.load.retry import retry as retry_entries
from pmo_playbook.migration.load.run import migrate
from pmo_playbook.migration.load.status import migration_status
from pmo_playbook.migration.plan import BSON_MAX, plan
from pmo_playbook.migration.reverse.export import export as export_rows
from pmo_playbook.migration.sources.base import Source
from pmo_playbook.migration.verify.compare import verify as verify_source
from pmo_playbook.sync.ownership import module_status

app = typer.Typer(
    help="Migrate a legacy MongoDB database: plan, run, verify, export.", no_args_is_help=True
)
quarantine_app = typer.Typer(help="Documents that could not be stored.", no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")

FROM = typer.Option(
    None,
    "--from",
    help="mongodb:// URI, dump folder, archive, export file/folder (default: MONGODB_URI).",
)
FORMAT = typer.Option(
    None,
    "--format",
    help="Override detection: mongodb, mongodump, archive, mongoexport, seed-json.",
)
UNMAPPED = typer.Option(
    False, "--include-unmapped", help="Keep collections that map to no table in legacy_documents."
)
JSON = typer.Option(False, "--json", help="Machine-readable output.")


@contextmanager
def cli_source(ctx: typer.Context, spec: str | None, fmt: str | None) -> Iterator[Source]:
    """Open the source named by --from (or MONGODB_URI); close it afterwards."""
    from pmo_playbook.migration.sources import open_source  # the sources engineer's entry point

    source = open_source(source_spec(ctx, spec), format=fmt)
    try:
        yield source
    finally:
        source.close()


def source_spec(ctx: typer.Context, spec: str | None) -> str:
    """--from, else MONGODB_URI (InvalidInput when neither is given)."""
    if spec:
        return spec
    uri = get_context(ctx).settings.mongodb_uri
    if uri is None:
        raise InvalidInput("no source: pass --from or set MONGODB_URI")
    return uri.get_secret_value()


@app.command("plan")
def plan_cmd(
    ctx: typer.Context,
    from_: str | None = FROM,
    fmt: str | None = FORMAT,
    include_unmapped: bool = UNMAPPED,
    as_json: bool = JSON,
    max_doc_bytes: int = typer.Option(BSON_MAX, "--max-doc-bytes", help="Oversized threshold."),
) -> None:
    """List collections, their target tables and a pre-flight scan. Writes nothing."""
    with cli_source(ctx, from_, fmt) as source:
        result = plan(source, include_unmapped=include_unmapped, max_bytes=max_doc_bytes)
    if as_json:
        emit_json(result.as_json())
        return
    say(f"Source: {result.source}")
    for c in result.collections:
        say(f"{c.collection}: {c.count} documents, {c.size_bytes} bytes → {c.table or 'unmapped'}")
        for kind, finding in c.findings.items():
            say(f"    {kind}: {finding.count} (e.g. {'; '.join(finding.examples[:2])})")
    if result.unmapped:
        warn(
            "unmapped collections (use --include-unmapped to keep them): "
            + ", ".join(result.unmapped)
        )


@app.command("run")
def run_cmd(
    ctx: typer.Context,
    from_: str | None = FROM,
    fmt: str | None = FORMAT,
    include_unmapped: bool = UNMAPPED,
    report: Path | None = typer.Option(None, "--report", help="Write the JSON report here."),
    batch_size: int = typer.Option(
        DEFAULT_BATCH_SIZE, "--batch-size", min=1, help="Documents per batch."
    ),
    prune: bool = typer.Option(
        False, "--prune", help="Delete rows whose _id the source no longer has (asks first)."
    ),
    yes: bool = typer.Option(False, "--yes", help="With --prune: do not ask for confirmation."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="With --prune: list the rows it would delete, delete nothing."
    ),
    id_range: str | None = typer.Option(
        None,
        "--id-range",
        help="Only documents with LOW <= _id < HIGH (hex ObjectId prefixes, LOW:HIGH, one "
        "may be empty): one part of a load split over processes or machines.",
    ),
) -> None:
    """Plan, load (resumable, idempotent) and verify every document; exit 1 on any problem."""
    ranged = IdRange.parse(id_range) if id_range is not None else None
    cli = get_context(ctx)
    url = cli.database_url()
    request = PruneRequest(dry_run=dry_run, confirm=_confirm_prune(yes)) if prune else None
    if report and not report.parent.is_dir():  # before the load, not after a long one
        raise InvalidInput(f"--report {report}: folder {report.parent} does not exist")
    with cli_source(ctx, from_, fmt) as source, RichProgress() as progress:
        options = LoadOptions(
            batch_size=batch_size,
            include_unmapped=include_unmapped,
            progress=progress,
            id_range=ranged,
        )
        result = migrate(url, source, options, prune=request)
    _show_run(result)
    if report:  # whole or not at all: written beside it, then renamed over it
        partial = report.with_name(f".{report.name}.partial")
        partial.write_bytes(orjson.dumps(result.as_json(), option=orjson.OPT_INDENT_2))
        partial.replace(report)
    if result.prune_refused:
        raise PruneRefused(f"--prune refused: {result.prune_refused}")
    if not result.ok:
        raise typer.Exit(1)
    ok(f"Migration complete in {result.seconds:.1f}s")


def _confirm_prune(yes: bool) -> Callable[[list[Extras]], bool]:
    """Ask before deleting (unless --yes), after listing what would go."""

    def confirm(extras: list[Extras]) -> bool:
        _show_extras(extras, "will delete")
        if yes:
            return True
        total = sum(e.count for e in extras)
        return typer.confirm(f"Delete these {total} rows in one transaction?", default=False)

    return confirm


def _show_extras(extras: list[Extras], verb: str) -> None:
    for e in extras:
        if e.count:
            warn(f"--prune {verb} {e.count} {e.table} rows: {', '.join(e.legacy_ids[:20])}")
        for collection, ids in e.gone_quarantined.items():
            warn(
                f"--prune {verb} close {len(ids)} {collection} quarantine entries (documents "
                f"gone from the source; kept): {', '.join(ids[:20])}"
            )


def _show_run(result: RunReport) -> None:
    """The seed-style summary of a run, its quarantine, extras and prune outcome."""
    if result.resumed:
        say(f"Resumed run {result.run_id} from its checkpoints.")
    for name in result.restarted:
        warn(f"{name}: the source changed before its checkpoint; loaded again from the start")
    for c in result.collections:
        _good, line = summary_line(c)
        say(line)
        for lid in c.quarantined_ids[:20]:
            bad(f"  quarantined {c.collection} _id {lid} (pmo migrate quarantine list)")
        for lid in c.quarantined_gone_ids[:20]:
            bad(f"  quarantined {c.collection} _id {lid}: gone from the source (--prune closes it)")
        for lid in c.extra_ids[:20]:
            bad(f"  {c.table} row legacy_id {lid}: no longer in the source (--prune deletes it)")
    for name in result.unmapped:
        warn(f"{name}: unmapped collection, not migrated (use --include-unmapped to keep it)")
    if result.pruned is not None:
        deleted = sum(result.pruned.values())
        say(f"Pruned {deleted} rows no longer in the source." if deleted else "Pruned nothing.")
    if result.quarantine_closed:
        n = result.quarantine_closed
        entries = "entry" if n == 1 else "entries"
        say(f"Closed {n} quarantine {entries} of documents gone from the source.")
    if not result.changed and not result.resumed:
        say("Nothing changed: the database already holds this source.")


@app.command("verify")
def verify_cmd(
    ctx: typer.Context,
    from_: str | None = FROM,
    fmt: str | None = FORMAT,
    include_unmapped: bool = UNMAPPED,
    module: str | None = typer.Option(
        None, "--module", help="During a cut-over: one module (default: every module)."
    ),
    as_json: bool = JSON,
) -> None:
    """Re-read the source and compare every document with its row; exit 0 only if identical.

    During a cut-over, module by module against the side that owns it (MongoDB-owned:
    PostgreSQL against the source; PostgreSQL-owned: MongoDB against PostgreSQL), recorded
    for `pmo cutover status`."""
    url = get_context(ctx).database_url()
    with open_connection(url) as conn:
        in_cutover = bool(module_status(conn))
    if in_cutover or module is not None:
        _verify_modules(ctx, url, from_, fmt, module or "all", as_json)
        return
    with cli_source(ctx, from_, fmt) as source:
        result = verify_source(url, source, include_unmapped=include_unmapped)
    if as_json:
        emit_json(result.as_json())
    else:
        for c in result.collections:
            line = (
                f"{c.collection}: MongoDB {c.source_count} documents, "
                f"PostgreSQL {c.row_count} rows, {c.identical} identical, "
                f"{c.missing_count} missing, {c.extra_count} extra, "
                f"{c.different_count} different, {len(c.quarantined)} quarantined"
                + (f", {c.duplicate_count} duplicate _id" if c.duplicate_count else "")
            )
            (ok if c.ok else bad)(line)
            for d in c.different[:20]:
                say(f"    different _id {d['_id']}: {', '.join(d['paths'])}")
            for lid in c.missing[:20]:
                say(f"    missing _id {lid}")
            for lid in c.extra[:20]:
                say(f"    extra row legacy_id {lid}")
            for lid in c.quarantined[:20]:
                say(f"    quarantined _id {lid}")
            for text in c.duplicates[:20]:
                say(f"    duplicate _id {text} (the later one is quarantined)")
            if c.updated_at_drift_count:
                warn(f"{c.collection}: updated_at differs from the document on "
                     f"{c.updated_at_drift_count} rows (drift, not a failure)")  # fmt: skip
    if not result.ok:
        raise typer.Exit(1)


def _verify_modules(
    ctx: typer.Context,
    url: DatabaseUrl,
    from_: str | None,
    fmt: str | None,
    target: str,
    as_json: bool,
) -> None:
    """`pmo migrate verify` during a cut-over: one line per module, clean or what differs."""
    from pmo_playbook.sync.ownership import parse_targets, verify_module

    modules = parse_targets(target)
    with cli_source(ctx, from_, fmt) as source, open_connection(url) as conn:
        if not module_status(conn):
            raise InvalidInput("--module: no cut-over in progress (plain `pmo migrate verify`)")
        results = [verify_module(conn, source, m) for m in modules]
    if as_json:
        emit_json({"ok": all(r.ok for r in results), "modules": [r.as_json() for r in results]})
    else:
        for r in results:
            against = "PostgreSQL against MongoDB" if r.owner == "mongodb" else (
                "MongoDB against PostgreSQL")  # fmt: skip
            (ok if r.ok else bad)(f"{r.module} (owner {r.owner}; {against}): {r.summary()}")
            for finding in r.findings():
                say(f"    {finding}")
    if not all(r.ok for r in results):
        raise typer.Exit(1)


@app.command("status")
def status_cmd(
    ctx: typer.Context,
    last: int = typer.Option(5, "--last", min=1, help="How many of the newest runs to show."),
    as_json: bool = JSON,
) -> None:
    """Where migrations stand: the writer lock, the newest runs and their checkpoints, the
    open quarantine and indexes a killed load left missing. Reads only."""
    with open_connection(get_context(ctx).database_url()) as conn:
        result = migration_status(conn, last)
        modules = module_status(conn, get_context(ctx).settings.desired_owners())
    if as_json:
        emit_json({**result.as_json(), "cutover": [m.as_json() for m in modules]})
        return
    say(f"Writer lock: {result.writer or 'free (no migration is writing)'}")
    if not result.runs:
        say("No migration run yet.")
    for run in result.runs:
        until = f" → {run.finished_at:%Y-%m-%d %H:%M:%S %Z}" if run.finished_at else ""
        say(f"run {run.id}  {run.state}  {run.source}")
        say(f"    {run.started_at:%Y-%m-%d %H:%M:%S %Z}{until}")
        for c in run.collections:
            mark = "done" if c.done else f"at document {c.handled}"
            say(f"    {c.collection}: {mark}; inserted {c.inserted}, updated {c.updated}, "
                f"unchanged {c.unchanged}, quarantined {c.quarantined} "
                f"(checkpoint {c.checkpoint_at:%H:%M:%S})")  # fmt: skip
    for collection, count in result.open_quarantine.items():
        bad(f"quarantine: {count} open {collection} entries (pmo migrate quarantine list)")
    for index, table in result.missing_indexes:
        bad(f"missing index {index} on {table} (the next pmo migrate run or pmo serve creates it)")
    from pmo_playbook.cli.cutover import show_status  # it registers on this app: imported late

    show_status(modules)


@app.command("export")
def export_cmd(
    ctx: typer.Context,
    to: Path = typer.Option(..., "--to", help="Output folder."),
    fmt: str = typer.Option("mongodump", "--format", help="mongodump or mongoexport."),
    db: str = typer.Option("pmo_playbook", "--db", help="Database folder name (mongodump)."),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace an earlier export at the destination (else refused)."
    ),
) -> None:
    """Export every table back to MongoDB files (legacy collection names and shapes).

    All or nothing: written beside the destination and renamed into place when complete.
    """
    url = get_context(ctx).database_url()
    result = export_rows(url, to, fmt=fmt, database=db, overwrite=overwrite)
    for name, count in result.counts.items():
        say(f"{name}: {count} documents")
    ok(f"Exported to {result.folder} ({result.format})")


@quarantine_app.command("list")
def quarantine_list(
    ctx: typer.Context,
    all_: bool = typer.Option(False, "--all", help="Include resolved entries."),
    as_json: bool = JSON,
) -> None:
    """Quarantined documents (open ones unless --all)."""
    with open_connection(get_context(ctx).database_url()) as conn:
        entries = quarantine_store.list_entries(conn, include_resolved=all_)
    if as_json:
        emit_json([e.as_json() for e in entries])
        return
    if not entries:
        say("The quarantine is empty.")
    for e in entries:
        state = f"resolved ({e.resolution})" if e.resolved_at else "open"
        say(f"{e.id}  {state:<8} {e.collection}  _id {e.legacy_id}  {e.reason}")


@quarantine_app.command("show")
def quarantine_show(
    ctx: typer.Context, entry_id: int = typer.Argument(..., help="Entry id.")
) -> None:
    """One entry with its original document (canonical Extended JSON)."""
    with open_connection(get_context(ctx).database_url()) as conn:
        entry = quarantine_store.get_entry(conn, entry_id)
    emit_json({**entry.as_json(), "document": orjson.loads(entry.document)})


@quarantine_app.command("retry")
def quarantine_retry(
    ctx: typer.Context,
    ids: list[int] | None = typer.Argument(None, help="Entry ids."),
    all_: bool = typer.Option(False, "--all", help="Retry every open entry."),
) -> None:
    """Re-validate and load quarantined documents (resolved on success); exit 1 on failures."""
    if not ids and not all_:
        raise InvalidInput("name entry ids or pass --all")
    results = retry_entries(get_context(ctx).database_url(), None if all_ else list(ids or []))
    failed = 0
    for r in results:
        if r.stored:
            ok(f"{r.id}: {r.collection} _id {r.legacy_id} stored")
        else:
            failed += 1
            bad(f"{r.id}: {r.collection} _id {r.legacy_id} still quarantined: {r.reason}")
    if failed:
        raise typer.Exit(1)
