"""Operator commands beyond migrations and tokens."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from .db import db
from .demo import load_demo
from .writes import purge_expired_keys

demo_cli = AppGroup("demo", help="The India-Russia demo data set.")
idempotency_cli = AppGroup("idempotency", help="Stored Idempotency-Key responses.")


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


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(idempotency_cli)
