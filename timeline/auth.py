"""API tokens: made by the CLI, shown once, stored only as a SHA-256 hash.

Roles: ``editor`` writes events, sources and citations; ``reviewer`` posts
reviews; ``admin`` may do both. Reads are public unless READS_REQUIRE_TOKEN.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from typing import Any, TypeVar, cast

import click
from flask import Flask, current_app, g, request
from marshmallow import ValidationError, validate
from sqlalchemy import delete, select

from .apidoc import document
from .db import db, delete_rows
from .errors import Forbidden, Unauthorized
from .fields import Text
from .models import ROLES, ApiToken, IdempotencyRecord, utcnow
from .schema_version import CheckedGroup

F = TypeVar("F", bound=Callable[..., Any])

EDITOR = "editor"
REVIEWER = "reviewer"
ADMIN = "admin"

BEARER: dict[str, list[str]] = {"bearerAuth": []}
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="timeline"'}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_from_header() -> ApiToken | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("The Authorization header must be 'Bearer <token>'.", headers=_CHALLENGE)
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(secret.strip()))
    )
    if token is None or token.revoked_at is not None:
        raise Unauthorized("The token is unknown or has been revoked.", headers=_CHALLENGE)
    return token


def authenticate() -> ApiToken:
    """The request's token; 401 when there is none or it is not valid."""
    if "token" in g:
        return g.token  # type: ignore[no-any-return,unused-ignore]
    token = _token_from_header()
    if token is None:
        raise Unauthorized(
            "This operation needs an API token: send 'Authorization: Bearer <token>'.",
            headers=_CHALLENGE,
        )
    g.token = token
    return token


def valid_token() -> ApiToken | None:
    """The request's token when it is valid; None without one or with a bad one
    (for callers that only ask who is calling, such as rate limits)."""
    if "token" not in g:
        try:
            token = _token_from_header()
        except Unauthorized:
            return None
        if token is None:
            return None
        g.token = token
    return g.token  # type: ignore[no-any-return,unused-ignore]


def current_actor() -> str:
    """The name of the token behind this request."""
    return str(g.token.name)


def role_required(*roles: str) -> Callable[[F], F]:
    """Let a view run only for a token with one of ``roles`` (admin always may)."""
    allowed = {*roles, ADMIN}

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = authenticate()
            if token.role not in allowed:
                raise Forbidden(
                    f"The token '{token.name}' has the role '{token.role}'; this operation "
                    f"needs one of: {', '.join(sorted(allowed))}."
                )
            return view(*args, **kwargs)

        return document(security=[BEARER], responses={"401": "UNAUTHORIZED", "403": "FORBIDDEN"})(
            cast(F, wrapper)
        )

    return decorator


_OPEN_PATHS = frozenset({"/api/v1/health", "/api/v1/openapi.json"})


def require_token_for_reads() -> None:
    """A before-request hook: with READS_REQUIRE_TOKEN, API reads need a token too."""
    if (
        current_app.config["READS_REQUIRE_TOKEN"]
        and request.method in {"GET", "HEAD"}
        and request.path.startswith("/api/")
        and request.path not in _OPEN_PATHS
    ):
        authenticate()


# --- CLI --------------------------------------------------------------------

tokens_cli = CheckedGroup("tokens", help="Create, list and revoke API tokens.")

# As long as the columns that record who did what (tokens, creators, reviewers) take.
NAME_LENGTH = 80
_NAME = Text(validate=validate.Length(1, NAME_LENGTH))


class ActorName(click.ParamType):
    """A name that actions are recorded under (a token's, an import's creator): the
    API's rules for one line of text (no control characters, not only whitespace), of
    1 to 80 characters. A tab would also split the columns of 'flask tokens list'."""

    name = "name"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            name: str = _NAME.deserialize(value)
        except ValidationError as error:
            self.fail(" ".join(cast(list[str], error.messages)), param, ctx)
        return name


@tokens_cli.command("create")
@click.option(
    "--name", required=True, type=ActorName(), help="Who the token is for; shown in review history."
)
@click.option("--role", required=True, type=click.Choice(ROLES))
def create_token_command(name: str, role: str) -> None:
    """Make a token and print it once (the last line of the output)."""
    if db.session.scalar(select(ApiToken).where(ApiToken.name == name)) is not None:
        raise click.ClickException(f"A token named '{name}' exists; pick another name.")
    secret = create_token(name, role)
    click.echo(f"Created {role} token '{name}'. It is shown only now; store it safely:")
    click.echo(secret)


def create_token(name: str, role: str) -> str:
    secret = "tl_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(name=name, role=role, token_hash=hash_token(secret)))
    db.session.commit()
    return secret


@tokens_cli.command("list")
def list_tokens_command() -> None:
    """List tokens (never their secrets)."""
    for token in db.session.scalars(select(ApiToken).order_by(ApiToken.name)):
        state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
        click.echo(
            f"{token.name}\t{token.role}\tcreated {token.created_at:%Y-%m-%d %H:%M}\t{state}"
        )


@tokens_cli.command("revoke")
@click.argument("name")
def revoke_token_command(name: str) -> None:
    """Revoke a token by name; requests with it get 401 from now on.

    Its stored Idempotency-Key responses go too: no request can replay them.
    """
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == name))
    if token is None:
        raise click.ClickException(f"No token is named '{name}'.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    removed = delete_rows(delete(IdempotencyRecord).where(IdempotencyRecord.token_name == name))
    db.session.commit()
    click.echo(f"Revoked '{name}'; removed {removed} stored idempotency keys.")


def init_app(app: Flask) -> None:
    app.cli.add_command(tokens_cli)
