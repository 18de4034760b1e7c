"""Operator commands beyond migrations and tokens."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from .demo import load_demo

demo_cli = AppGroup("demo", help="The India-Russia demo data set.")


@demo_cli.command("load")
def load_demo_command() -> None:
    """Load the demo events (again: it changes nothing the second time)."""
    created = load_demo()
    if created:
        click.echo(f"Loaded {created} demo events.")
    else:
        click.echo("The demo events are already loaded.")


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_cli)
