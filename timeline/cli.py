"""Operator commands beyond migrations and tokens."""

from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

from .db import db
from .demo import load_demo
from .errors import ApiProblem
from .services import get_source, source_drafts
from .writes import purge_expired_keys

demo_cli = AppGroup("demo", help="The India-Russia demo data set.")
idempotency_cli = AppGroup("idempotency", help="Stored Idempotency-Key responses.")
sources_cli = AppGroup("sources", help="Sources and the events their text proposes.")


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


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(idempotency_cli)
    app.cli.add_command(sources_cli)
