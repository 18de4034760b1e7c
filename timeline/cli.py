"""Operator commands beyond migrations and tokens."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from . import rerender
from .auth import ActorName
from .db import db
from .demo import load_demo
from .errors import ApiProblem
from .imports import (
    DEFAULT_BATCH_SIZE,
    ImportRefused,
    ImportStopped,
    Summary,
    content_bytes,
    default_workers,
    import_events,
)
from .models import Event
from .schema_version import CheckedGroup
from .services import get_source, source_drafts
from .writes import purge_expired_keys

demo_cli = CheckedGroup("demo", help="The India-Russia demo data set.")
events_cli = CheckedGroup("events", help="Events in bulk.")
idempotency_cli = CheckedGroup("idempotency", help="Stored Idempotency-Key responses.")
sources_cli = CheckedGroup("sources", help="Sources and the events their text proposes.")
# The most one refresh runs: pending work grows only with new edits.
_REFRESH_SECONDS = 3600.0
read_model_cli = CheckedGroup("read-model", help="The stored event documents and timeline rows.")


@demo_cli.command("load")
def load_demo_command() -> None:
    """Load the demo events (again: it changes nothing the second time)."""
    created = load_demo()
    if created:
        click.echo(f"Loaded {created} demo events.")
    else:
        click.echo("The demo events are already loaded.")


@idempotency_cli.command("purge")
def purge_idempotency_command() -> None:
    """Delete the keys of every token older than the TTL (run it from cron, e.g. hourly)."""
    removed = purge_expired_keys()
    db.session.commit()
    click.echo(f"Removed {removed} expired idempotency keys.")


@sources_cli.command("drafts")
@click.argument("source_id")
def source_drafts_command(source_id: str) -> None:
    """Print the events a source's text proposes, as JSON (nothing is stored)."""
    try:
        drafts = source_drafts(get_source(source_id))
    except ApiProblem as problem:
        raise click.ClickException(str(problem.description)) from None
    click.echo(json.dumps(drafts, indent=2, ensure_ascii=False))


_RUN_AGAIN = (
    "Run the same command again to continue: rows with an external_id that is stored are skipped."
)


@events_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--batch-size",
    # A batch's external ids are looked up in one IN list, which both databases bound.
    type=click.IntRange(1, 10_000),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Rows per transaction: a stopped import keeps its whole batches only.",
)
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the rejected rows, with line numbers and reasons "
    "[default: FILE.rejects.jsonl].",
)
@click.option(
    "--workers",
    type=click.IntRange(0, 32),
    default=None,
    help="Processes that validate rows while this one stores them (0: this one validates) "
    "[default: one per other core, at most 3, for a file of several batches; else 0].",
)
@click.option(
    "--check",
    is_flag=True,
    help="Check every row as the import would, writing the rejects, and store nothing.",
)
@click.option(
    "--created-by",
    type=ActorName(),
    default="import",
    show_default=True,
    help="Who the events are recorded as created by (a reviewer of that name cannot review them).",
)
def import_events_command(
    file: Path,
    batch_size: int,
    rejects_path: Path | None,
    workers: int | None,
    check: bool,
    created_by: str,
) -> None:
    """Import events from JSON Lines (one createEvent body per line, with an optional
    external_id) or CSV (the columns of the CSV export), either of them plain or
    gzip-compressed (FILE.jsonl.gz, FILE.csv.gz). Rows whose external_id is
    stored already are skipped, so running it again completes a stopped import.
    With --check, nothing is stored: the summary and the rejects say what an import
    would do. Exits with status 1 when any row was rejected."""
    rejects = rejects_path or file.with_name(file.name + ".rejects.jsonl")
    size = file.stat().st_size
    with click.progressbar(
        length=size,
        label=f"{'Checking' if check else 'Importing'} {file.name}",
        file=sys.stderr,
        hidden=not sys.stderr.isatty(),
        item_show_func=_progress_info,
    ) as bar:

        def progress(read: int, summary: Summary) -> None:
            bar.update(read - bar.pos, summary)

        try:
            summary = import_events(
                file,
                rejects_path=rejects,
                batch_size=batch_size,
                workers=(
                    default_workers(content_bytes(file), batch_size) if workers is None else workers
                ),
                actor=created_by,
                store=not check,
                progress=progress,
            )
        except ImportRefused as refused:
            raise click.ClickException(str(refused)) from None
        except ImportStopped as stopped:
            if check:
                raise click.ClickException(f"The database failed: {stopped.reason}.") from None
            raise click.ClickException(
                f"The database failed: {stopped.reason}. Imported {stopped.summary.imported:,} "
                f"before, in whole batches; the one under way is not stored. {_RUN_AGAIN}"
            ) from None
        except KeyboardInterrupt:
            if check:
                raise click.ClickException("Stopped. Nothing was stored.") from None
            raise click.ClickException(
                "Stopped. The batches imported so far are stored, the one under way is "
                f"not. {_RUN_AGAIN}"
            ) from None
    click.echo(summary.line(rejects))
    if summary.rejected:
        sys.exit(1)


def _progress_bar(length: int, label: str) -> Any:
    """A progress bar on standard error with the rate and ETA, hidden when it is not a terminal."""
    started = time.monotonic()

    def rate(_item: object) -> str:
        seconds = time.monotonic() - started
        return f"{bar.pos / seconds:,.0f} events/s" if seconds and bar.pos else ""

    bar = click.progressbar(
        length=length,
        label=label,
        file=sys.stderr,
        hidden=not sys.stderr.isatty(),
        show_eta=True,
        item_show_func=rate,
    )
    return bar


_BATCH_OPTION = click.option(
    "--batch-size",
    type=click.IntRange(1, 10_000),
    default=None,
    help="Events per transaction [default: SOURCE_RERENDER_BATCH, 100].",
)


@read_model_cli.command("refresh")
@_BATCH_OPTION
def refresh_command(batch_size: int | None) -> None:
    """Bring the events of edited sources up to date now: the work the server's
    background workers do, and what a server that stopped left undone."""
    size = batch_size or current_app.config["SOURCE_RERENDER_BATCH"]
    with _progress_bar(rerender.pending_events(), "Re-rendering citing events") as bar:
        done, finished = rerender.refresh(size, _REFRESH_SECONDS, bar.update)
    if not finished:
        raise click.ClickException(
            f"Stopped after {_REFRESH_SECONDS:.0f} s with work left ({done} events done): "
            "edits keep coming in; run it again."
        )
    click.echo(f"Brought {done} events up to date with their sources.")


@read_model_cli.command("rebuild")
@_BATCH_OPTION
def rebuild_command(batch_size: int | None) -> None:
    """Render every event's document again and rewrite its timeline rows, e.g. after
    the event schema or the country names changed. Not an edit: no revision,
    version or sync-feed entry. Safe while the server runs."""
    size = batch_size or current_app.config["SOURCE_RERENDER_BATCH"]
    total = db.session.scalar(select(func.count()).select_from(Event)) or 0
    db.session.rollback()
    with _progress_bar(total, "Rebuilding the read model") as bar:
        summary = rerender.rebuild(size, bar.update)
    click.echo(f"Rebuilt {summary.events} events; {summary.changed} documents changed.")


def _progress_info(summary: Summary | None) -> str | None:
    if summary is None or not summary.seconds:
        return None
    return f"{summary.rows:,} rows, {summary.rows / summary.seconds:,.0f}/s"


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(events_cli)
    app.cli.add_command(idempotency_cli)
    app.cli.add_command(sources_cli)
    app.cli.add_command(read_model_cli)
