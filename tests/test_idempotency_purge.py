"""Stored Idempotency-Key responses do not grow forever: a cron-able purge of
expired keys, and a revoked token's keys go with it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from tests.factories import event_body
from timeline.db import db
from timeline.models import ApiToken, IdempotencyRecord, utcnow

API = "/api/v1"


def _create_with_key(client, headers, key):
    response = client.post(
        f"{API}/events", json=event_body(), headers={**headers, "Idempotency-Key": key}
    )
    assert response.status_code == 201, response.get_json()
    return response


def _age(app, token_name, key, hours):
    with app.app_context():
        db.session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.token_name == token_name, IdempotencyRecord.key == key)
            .values(created_at=utcnow() - dt.timedelta(hours=hours))
        )
        db.session.commit()


def _stored_keys(app):
    with app.app_context():
        return db.session.execute(
            select(IdempotencyRecord.token_name, IdempotencyRecord.key).order_by(
                IdempotencyRecord.token_name, IdempotencyRecord.key
            )
        ).all()


class TestPurge:
    def test_removes_expired_keys_of_every_token_and_keeps_fresh_ones(
        self, app, client, runner, tokens
    ):
        _create_with_key(client, tokens.editor, "old-1")
        _create_with_key(client, tokens.editor, "new-1")
        _create_with_key(client, tokens.editor2, "old-2")
        _create_with_key(client, tokens.editor2, "new-2")
        _age(app, "editor", "old-1", hours=25)
        _age(app, "editor2", "old-2", hours=24.5)
        _age(app, "editor2", "new-2", hours=23)

        result = runner.invoke(args=["idempotency", "purge"])

        assert result.exit_code == 0
        assert result.output == "Removed 2 expired idempotency keys.\n"
        assert _stored_keys(app) == [("editor", "new-1"), ("editor2", "new-2")]
        replay = client.post(
            f"{API}/events",
            json=event_body(),
            headers={**tokens.editor2, "Idempotency-Key": "new-2"},
        )
        assert replay.status_code == 201
        assert replay.headers["Idempotent-Replayed"] == "true"

    def test_with_nothing_to_remove(self, runner):
        result = runner.invoke(args=["idempotency", "purge"])
        assert result.exit_code == 0
        assert result.output == "Removed 0 expired idempotency keys.\n"


class TestRevoke:
    def test_removes_the_revoked_tokens_keys_only(self, app, client, runner, tokens):
        _create_with_key(client, tokens.editor, "a")
        _create_with_key(client, tokens.editor, "b")
        _create_with_key(client, tokens.editor2, "a")

        result = runner.invoke(args=["tokens", "revoke", "editor"])

        assert result.exit_code == 0
        assert result.output == "Revoked 'editor'; removed 2 stored idempotency keys.\n"
        assert _stored_keys(app) == [("editor2", "a")]

    def test_of_a_token_already_revoked_removes_the_keys_it_left(self, app, client, runner, tokens):
        _create_with_key(client, tokens.editor, "a")
        # Revoked before revoking removed keys.
        with app.app_context():
            db.session.execute(
                update(ApiToken).where(ApiToken.name == "editor").values(revoked_at=utcnow())
            )
            db.session.commit()

        result = runner.invoke(args=["tokens", "revoke", "editor"])

        assert result.exit_code == 0
        assert result.output == "Revoked 'editor'; removed 1 stored idempotency keys.\n"
        assert _stored_keys(app) == []
